-- Notifications keep what happened, not words in one language: a kind that names a text in the
-- catalogues, its arguments as JSON, and the record it is about (any kind, not only tickets).
-- Rows written before keep their text in `body`; new rows leave it empty.
ALTER TABLE notifications ADD COLUMN args TEXT NOT NULL DEFAULT '{}';
ALTER TABLE notifications ADD COLUMN subject_kind TEXT;
ALTER TABLE notifications ADD COLUMN subject_id BIGINT;
UPDATE notifications SET subject_kind = 'ticket', subject_id = ticket_id WHERE ticket_id IS NOT NULL;

-- The SLA scan's automatic escalations and priority raises kept a bilingual sentence as the
-- timeline entry's text; the reason is now a code in its data, and the page words it.
UPDATE ticket_events
SET body = '', data = CAST(jsonb_set(CAST(data AS JSONB), '{reason}', '"sla_breach"') AS TEXT)
WHERE actor_id IS NULL AND kind IN ('escalate', 'priority_raised') AND body LIKE 'SLA breached:%';

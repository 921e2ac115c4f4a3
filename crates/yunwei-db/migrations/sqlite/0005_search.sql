-- Full-text search over tickets: one document per ticket (title, description, public replies,
-- resolution notes) as the terms `yunwei_domain::search::document` makes of them, in an FTS5
-- index whose rowid is the ticket id. Contentless: the text itself stays in `tickets` and
-- `ticket_events`; `contentless_delete` lets a ticket's document be replaced.
CREATE VIRTUAL TABLE ticket_search USING fts5(
    ticket_id UNINDEXED,
    doc,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- Tickets that existed before the index: the server indexes ids up to this one at start-up,
-- then removes the row.
INSERT INTO settings (key, value, version, updated_at)
SELECT 'search.backfill_to', CAST(MAX(id) AS TEXT), 1, 0 FROM tickets HAVING MAX(id) IS NOT NULL;

-- Full-text search over tickets: one document per ticket (title, description, public replies,
-- resolution notes) as the terms `yunwei_domain::search::document` makes of them, stored as a
-- tsvector of exactly those lexemes (no parser, no stemming) with a GIN index.
CREATE TABLE ticket_search (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets(id),
    doc TSVECTOR NOT NULL
);
CREATE INDEX ticket_search_doc ON ticket_search USING GIN (doc);

-- Tickets that existed before the index: the server indexes ids up to this one at start-up,
-- then removes the row.
INSERT INTO settings (key, value, version, updated_at)
SELECT 'search.backfill_to', CAST(MAX(id) AS TEXT), 1, 0 FROM tickets HAVING MAX(id) IS NOT NULL;

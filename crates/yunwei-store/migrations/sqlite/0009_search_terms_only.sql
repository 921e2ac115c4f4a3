-- A search document is a set of distinct terms (`yunwei_domain::search::document`) and a search
-- asks for tickets that have every term, never for terms next to each other, so the positions
-- FTS5 kept for each term were never read. Without them (`detail = none`) the index is smaller,
-- and a new ticket's terms cost less to write and to merge into it.
--
-- FTS5 cannot change this in place: the index is made again, empty, and the server indexes
-- every ticket again at start-up, as after migration 0005 (a few minutes at a million tickets).
DROP TABLE ticket_search;
CREATE VIRTUAL TABLE ticket_search USING fts5(
    ticket_id UNINDEXED,
    doc,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO settings (key, value, version, updated_at)
SELECT 'search.backfill_to', CAST(MAX(id) AS TEXT), 1, 0 FROM tickets WHERE TRUE HAVING MAX(id) IS NOT NULL
ON CONFLICT (key) DO UPDATE SET value = excluded.value;

-- Impact analysis reads a level's relationships by one end and needs the other end and the
-- kind: with the kind in the index the walk reads the index alone instead of looking up each
-- relationship's row (a core switch's second level is 6,800 relationships). The old indexes
-- are prefixes of the new ones.
CREATE INDEX ci_relations_down ON ci_relations (dependency_id, dependent_id, kind);
CREATE INDEX ci_relations_up ON ci_relations (dependent_id, dependency_id, kind);
DROP INDEX ci_relations_dependency;
DROP INDEX ci_relations_dependent;

-- The open work naming any of thousands of CIs (an impact's open tickets): PostgreSQL read all
-- 200,000 work links for 5,000 CIs rather than look each up in `ci_work_open`; the open ones
-- alone, a few thousand, it looks up (27 ms -> 4 ms).
CREATE INDEX ci_work_open_ci ON ci_work (ci_id) WHERE open;

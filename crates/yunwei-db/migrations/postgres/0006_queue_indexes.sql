-- Indexes for lists and figures that stay fast at millions of tickets. Open tickets are a few
-- percent of all: partial indexes hold only them, so a group's queue sorted by priority or by
-- last change reads the open tickets alone. Queries name
-- the open statuses literally, in this order (`tickets::push_open`), which is what lets both
-- databases prove that an index applies.
CREATE INDEX tickets_open_group_priority ON tickets (group_id, priority, id)
    WHERE status IN ('new', 'assigned', 'in_progress', 'pending');
CREATE INDEX tickets_open_group_updated ON tickets (group_id, updated_at, id)
    WHERE status IN ('new', 'assigned', 'in_progress', 'pending');
-- Counts of open tickets by priority and by group (dashboard, queue counts) from the index alone.
CREATE INDEX tickets_status_priority_group ON tickets (status, priority, group_id);
-- Periods: tickets created or resolved between two instants (dashboard, reports).
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX tickets_resolved ON tickets (resolved_at);
-- Running clocks by due instant (breaching soon), without the stopped, paused and already
-- breached ones that would come first in `sla_clocks_due`.
CREATE INDEX sla_clocks_running_due ON sla_clocks (due_at)
    WHERE stopped_at IS NULL AND paused_since IS NULL AND breached = FALSE;

-- The same statistics refresh as on SQLite (autovacuum would get there later).
ANALYZE tickets;
ANALYZE sla_clocks;

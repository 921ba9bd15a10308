-- The reconciler asks for runs past their deadline that are not over yet, soonest first.
create index runs_deadline_open on runs (deadline_at) where deadline_at is not null and status not in ('completed', 'cancelled');

-- The gate timeout sweeper asks for pending gates past their timeout, soonest first.
create index gates_pending_timeout on gates (timeout_at) where status = 'pending' and timeout_at is not null;

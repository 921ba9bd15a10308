-- Budgets and the usage ledger's running totals live on the run, so listing runs shows cost without a scan.
alter table runs
  add column budget jsonb,
  add column input_tokens bigint not null default 0,
  add column output_tokens bigint not null default 0,
  add column total_tokens bigint not null default 0,
  add column cost_usd double precision not null default 0;

drop view run_read;
create view run_read as
select r.id, r.workflow_name, r.input, r.metadata, r.status, r.result, r.error, r.recovery_webhook,
       r.channels, r.lease_owner,
       case when h.attempt = r.attempt and r.lease_owner is not null
            then greatest(r.lease_expires_at, h.lease_expires_at) else r.lease_expires_at end as lease_expires_at,
       r.attempt, r.queue, r.dedupe_key, r.priority, r.run_at, r.max_attempts, r.deadline_at,
       r.cancel_requested_at, r.cancelled_at, r.cancel_reason, r.cancel_actor, r.failure_class,
       r.created_at, r.updated_at, r.completed_at,
       r.budget, r.input_tokens, r.output_tokens, r.total_tokens, r.cost_usd
from runs r left join run_heartbeats h on h.run_id = r.id;

-- The head of each of a run's state streams (`run:<runId>` is the run's own).
create table state_streams (
  id text primary key,
  run_id text not null,
  name text not null,
  target_type text not null,
  target_id text not null,
  current_version bigint not null,
  current_value jsonb,
  metadata jsonb,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  unique (run_id, name)
);

-- Every version of every state stream, with its full value (time travel needs no replay of patches).
create table state_versions (
  id text primary key,
  stream_id text not null,
  run_id text not null,
  stream text not null,
  step_id text,
  version bigint not null,
  value jsonb,
  patch jsonb,
  label text,
  reason text,
  importance text not null,
  metadata jsonb,
  created_by text,
  created_at timestamptz not null,
  -- The run event that made it: orders a run's versions across streams.
  seq bigint not null,
  unique (run_id, stream, version)
);
create index state_versions_labeled on state_versions (run_id, seq desc) where label is not null;

-- The usage ledger: one row per record; a record's idempotency key is unique within its run.
create table usage_records (
  id text primary key,
  run_id text not null,
  step_id text,
  kind text not null,
  provider text,
  model text,
  label text,
  quantity double precision,
  unit text,
  input_tokens bigint,
  output_tokens bigint,
  total_tokens bigint,
  cost_usd double precision,
  metadata jsonb,
  idempotency_key text,
  created_at timestamptz not null,
  seq bigint not null
);
create unique index usage_run_key on usage_records (run_id, idempotency_key);
create index usage_run_seq on usage_records (run_id, seq);

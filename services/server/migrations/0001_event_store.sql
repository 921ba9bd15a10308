-- The event log is the source of truth; every other table in this file is a read model
-- that `tidebase projections rebuild` can drop and refold from it.

create table event_streams (
  stream_id text primary key,
  version integer not null default 0
);

create table events (
  position bigint generated always as identity primary key,
  stream_id text not null references event_streams (stream_id),
  seq integer not null,
  type text not null,
  payload jsonb not null,
  created_at timestamptz not null,
  unique (stream_id, seq)
);

create table runs (
  id text primary key,
  workflow_name text not null,
  input jsonb not null,
  metadata jsonb not null,
  status text not null,
  result jsonb,
  error jsonb,
  recovery_webhook text,
  channels jsonb,
  lease_owner text,
  lease_expires_at timestamptz,
  attempt integer not null,
  queue text,
  dedupe_key text,
  priority integer not null default 0,
  run_at timestamptz,
  max_attempts integer,
  deadline_at timestamptz,
  cancel_requested_at timestamptz,
  cancelled_at timestamptz,
  cancel_reason text,
  cancel_actor text,
  failure_class text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  completed_at timestamptz
);
create index runs_created_at on runs (created_at desc, id desc);
create index runs_status on runs (status, created_at desc);

create table steps (
  id text primary key,
  run_id text not null,
  name text not null,
  input_hash text not null,
  input jsonb,
  options jsonb,
  resume_contract jsonb not null,
  status text not null,
  output jsonb,
  error jsonb,
  resume_decision text,
  lease_owner text,
  lease_expires_at timestamptz,
  attempt integer not null,
  started_at timestamptz not null,
  completed_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  unique (run_id, name)
);

-- Heartbeats renew a run lease without an event, so renewals live beside the read
-- models rather than in them: a rebuild never loses a live worker's lease.
create table run_heartbeats (
  run_id text primary key,
  attempt integer not null,
  lease_expires_at timestamptz not null
);

-- What readers see of a run: the projected row, with a heartbeat's renewal of the current lease.
create view run_read as
select r.id, r.workflow_name, r.input, r.metadata, r.status, r.result, r.error, r.recovery_webhook,
       r.channels, r.lease_owner,
       case when h.attempt = r.attempt and r.lease_owner is not null
            then greatest(r.lease_expires_at, h.lease_expires_at) else r.lease_expires_at end as lease_expires_at,
       r.attempt, r.queue, r.dedupe_key, r.priority, r.run_at, r.max_attempts, r.deadline_at,
       r.cancel_requested_at, r.cancelled_at, r.cancel_reason, r.cancel_actor, r.failure_class,
       r.created_at, r.updated_at, r.completed_at
from runs r left join run_heartbeats h on h.run_id = r.id;

-- A run's aggregate as the read models hold it, in one round trip: the run and the one
-- step a command touches (by id when given, else by name).
create function tidebase_load_run(p_run_id text, p_step_name text, p_step_id text)
returns table (version integer, run jsonb, step jsonb)
language sql stable as $$
  select s.version,
    (select to_jsonb(r) from run_read r where r.id = p_run_id),
    case when p_step_id is not null
      then (select to_jsonb(t) from steps t where t.id = p_step_id and t.run_id = p_run_id)
      else (select to_jsonb(t) from steps t where t.run_id = p_run_id and t.name = p_step_name)
    end
  from event_streams s where s.stream_id = p_run_id
$$;

-- The outbox of recovery webhook calls (`run.resume`), projected from recovery.* events.
create table recovery_attempts (
  id text primary key,
  run_id text not null,
  url text not null,
  reason text not null,
  body text not null,
  status text not null,
  tries integer not null,
  next_attempt_at timestamptz,
  http_status integer,
  response_body text,
  error text,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index recovery_attempts_run on recovery_attempts (run_id, created_at);
create index recovery_attempts_due on recovery_attempts (next_attempt_at) where status = 'pending';

-- A dispatcher's claim on a call it is sending: not a read model (nothing in the log says it),
-- so a rebuild leaves it alone; a claim outlives its holder only until it lapses.
create table recovery_claims (
  id text primary key,
  claimed_until timestamptz not null
);

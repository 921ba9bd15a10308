-- Cron schedules, projected from each schedule's own stream (category `schedule`).
create table schedules (
  name text primary key,
  cron text not null,
  timezone text not null,
  workflow_name text not null,
  input jsonb,
  queue text not null,
  max_attempts integer,
  enabled boolean not null,
  deleted boolean not null,
  next_run_at timestamptz,
  last_enqueued_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
-- The scheduler asks for live schedules whose next fire time has come, soonest first.
create index schedules_due on schedules (next_run_at) where enabled and not deleted;

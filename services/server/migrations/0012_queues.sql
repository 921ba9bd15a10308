-- A queue run's tries are its claims; the last claim's time paces a queue's rate limit.
alter table runs
  add column claims integer not null default 0,
  add column claimed_at timestamptz;

drop view run_read;
create view run_read as
select r.id, r.workflow_name, r.input, r.metadata, r.status, r.result, r.error, r.recovery_webhook,
       r.channels, r.lease_owner,
       case when h.attempt = r.attempt and r.lease_owner is not null
            then greatest(r.lease_expires_at, h.lease_expires_at) else r.lease_expires_at end as lease_expires_at,
       r.attempt, r.queue, r.dedupe_key, r.priority, r.run_at, r.max_attempts, r.deadline_at,
       r.cancel_requested_at, r.cancelled_at, r.cancel_reason, r.cancel_actor, r.failure_class,
       r.created_at, r.updated_at, r.completed_at,
       r.budget, r.input_tokens, r.output_tokens, r.total_tokens, r.cost_usd,
       r.claims, r.claimed_at
from runs r left join run_heartbeats h on h.run_id = r.id;

-- Claims take ready runs in order: priority, then runAt, then creation.
create index runs_queue_ready on runs (queue, priority desc, run_at, created_at) where status = 'queued';
-- Counting a queue's runs by status (its concurrency cap, GET /queues) and finding expired queue leases.
create index runs_queue_status on runs (queue, status) where queue is not null;
-- The last claim of a queue (its rate limit).
create index runs_queue_claimed on runs (queue, claimed_at desc) where claimed_at is not null;
-- One active run per (queue, dedupeKey): a second enqueue of the key loses this race and is answered the first.
create unique index runs_queue_dedupe_active on runs (queue, dedupe_key)
  where dedupe_key is not null and status in ('pending', 'queued', 'running');

-- Queue settings, projected from each queue's own stream (category `queue`).
create table queues (
  name text primary key,
  concurrency integer,
  rate_per_minute integer,
  invoke_url text,
  created_at timestamptz not null,
  updated_at timestamptz not null
);

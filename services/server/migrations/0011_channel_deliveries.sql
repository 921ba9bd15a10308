-- The outbox of channel deliveries, projected from delivery.* events.
create table channel_deliveries (
  id text primary key,
  run_id text not null,
  source text not null,
  gate_id text,
  channel_index integer not null,
  url text not null,
  event_type text not null,
  payload jsonb,
  status text not null,
  tries integer not null,
  next_attempt_at timestamptz,
  http_status integer,
  response_body text,
  error text,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index channel_deliveries_run on channel_deliveries (run_id, created_at);
create index channel_deliveries_due on channel_deliveries (next_attempt_at) where status = 'pending';

-- A dispatcher's claim on a delivery it is sending (not a read model; see recovery_claims).
create table delivery_claims (
  id text primary key,
  claimed_until timestamptz not null
);

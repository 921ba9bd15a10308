-- A secret of this database's own: a gate's resolve token is sha256(secret:gateId), so tokens are
-- never stored, never in an event, and a rebuild needs none of them.
create table tidebase_secrets (
  name text primary key,
  value text not null
);
insert into tidebase_secrets (name, value)
values ('gate_token', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

create table gates (
  id text primary key,
  run_id text not null,
  name text not null,
  prompt text not null,
  data jsonb,
  status text not null,
  decision text,
  actor text,
  decision_payload jsonb,
  capability text,
  channels jsonb,
  timeout_at timestamptz,
  default_decision text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  resolved_at timestamptz,
  unique (run_id, name)
);
create index gates_status_created on gates (status, created_at desc, id desc);

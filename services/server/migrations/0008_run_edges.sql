-- Edges from a parent run to the child runs it made: one per (parent, name).
create table run_edges (
  id text primary key,
  parent_run_id text not null,
  child_run_id text not null unique,
  name text not null,
  edge_type text not null,
  metadata jsonb not null,
  created_at timestamptz not null,
  unique (parent_run_id, name)
);

-- A person's decision on a step's last failure (`step.resolved`): retry, complete or fail, by whom and why.
alter table steps
  add column resolution text,
  add column resolved_by text,
  add column resolution_reason text,
  add column resolved_at timestamptz;

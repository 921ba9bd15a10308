-- Streams belong to a category (run, queue, schedule, …): the key is (category, stream_id), so a
-- queue named like a client-chosen run id is another stream. Existing streams are runs.
alter table events drop constraint events_stream_id_fkey;
alter table events drop constraint events_stream_id_seq_key;
alter table event_streams drop constraint event_streams_pkey;

alter table event_streams add column category text not null default 'run';
alter table event_streams alter column category drop default;
alter table event_streams add constraint event_streams_pkey primary key (category, stream_id);
alter table event_streams alter column version type bigint;

alter table events add column category text not null default 'run';
alter table events alter column category drop default;
alter table events alter column seq type bigint;
-- The expected-version key: a writer that loses a race hits exactly this constraint.
alter table events add constraint events_stream_seq unique (category, stream_id, seq);
alter table events add constraint events_stream_fk foreign key (category, stream_id) references event_streams (category, stream_id);

-- A step's place in its run (the run's seq at its first start), for paging and stable order.
alter table steps add column seq bigint;
update steps s set seq = (
  select min(e.seq) from events e
  where e.category = 'run' and e.stream_id = s.run_id and e.type = 'step.started' and e.payload->>'stepId' = s.id
);
alter table steps alter column seq set not null;
create unique index steps_run_seq on steps (run_id, seq);

drop function tidebase_load_run(text, text, text);

-- The only writer of `events` is the append statement, which writes each stream's head in the same
-- statement as its events, so the foreign key could never refuse a row. Checking it cost every
-- appended event a lookup and a row lock on the head: 11-18% of a checkpoint's statement in Postgres.
alter table events drop constraint events_stream_fk;

-- The run lease epoch a step was started under (null when its client took no run lease, as v0.6
-- clients may). A run begun again since has abandoned the steps still running under an older one.
alter table steps add column run_epoch bigint;

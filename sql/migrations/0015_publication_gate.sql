-- The gate run whose verdict let a publication through: the publishing run itself, or the run of
-- `olist check --staged` whose recorded verdict it trusted. With the feed batches committed after
-- it, that run's check results describe the published warehouse, so a feed batch can carry a
-- warning's count forward by what it changed (src/quality/gate.ts previousCounts). Null for the
-- empty warehouse the feed bootstraps, which no gate checked.
alter table audit.publications add column gate_run_id bigint;

-- The daily change feed (docs/incremental.md). Everything here lives in audit, which no publish
-- replaces, so the ledger and the parked rows survive full loads.

-- The ledger: one row per batch applied, exactly once. A batch id seen again with the same
-- manifest checksum is a no-op; with another checksum it is refused.
create table audit.feed_batches (
  batch_id           text        primary key,
  manifest_checksum  text        not null,
  seq                integer,
  previous_batch     text,
  period_start       timestamp,
  run_id             bigint      not null references audit.runs,
  applied_at         timestamptz not null default clock_timestamp(),
  rows_read          bigint      not null,
  rows_loaded        bigint      not null,
  rows_rejected      bigint      not null,
  rows_parked        bigint      not null,
  rows_stale         bigint      not null,
  duration_ms        integer     not null,
  -- per-file counts, per-model changes and timings of the apply
  details            jsonb       not null,
  constraint every_batch_row_accounted_for check (rows_read = rows_loaded + rows_rejected)
);

-- Rows that arrived before their parent (an order update before the order, an item before its
-- product): kept here, not lost, and applied by the first batch that brings the parent.
create table audit.parked_rows (
  source      text        not null,
  record_key  text        not null,
  batch_id    text        not null,
  line        bigint      not null,
  row_data    jsonb       not null,
  parked_at   timestamptz not null default clock_timestamp(),
  primary key (source, record_key, batch_id, line)
);

-- Which batch a run applied (one run per batch: its file loads, rejects and checks are the batch's).
alter table audit.runs add column batch_id text;

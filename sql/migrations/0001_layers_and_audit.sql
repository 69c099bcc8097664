-- Schemas by layer. raw holds the files as loaded (rebuilt by every ingest); staging, warehouse and
-- marts are built by the model runner into *_build schemas and swapped in at publish; audit keeps
-- the history of every run and is never rebuilt.
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists warehouse;
create schema if not exists marts;
create schema if not exists audit;

-- One row per CLI job (run, ingest, transform, check...).
create table audit.runs (
  run_id        bigint generated always as identity primary key,
  command       text        not null,
  status        text        not null default 'running' check (status in ('running', 'succeeded', 'failed')),
  data_dir      text,
  started_at    timestamptz not null default clock_timestamp(),
  finished_at   timestamptz,
  error         text,
  summary       jsonb
);

-- Row accounting per file and run: rows_read = rows_loaded + rows_rejected, enforced.
create table audit.file_loads (
  run_id         bigint      not null references audit.runs on delete cascade,
  source         text        not null,
  file_name      text        not null,
  file_bytes     bigint      not null,
  file_sha256    text        not null,
  rows_read      bigint      not null,
  rows_loaded    bigint      not null,
  rows_rejected  bigint      not null,
  duration_ms    integer     not null,
  loaded_at      timestamptz not null default clock_timestamp(),
  primary key (run_id, source),
  constraint every_row_accounted_for check (rows_read = rows_loaded + rows_rejected)
);

-- Quarantine: every row that could not be loaded, with where and why.
create table audit.rejected_rows (
  run_id       bigint not null references audit.runs on delete cascade,
  source       text   not null,
  file_name    text   not null,
  line         bigint not null,
  column_name  text,
  value        text,
  reason       text   not null,
  record       text
);
create index rejected_rows_run_source on audit.rejected_rows (run_id, source);

-- Each successful publish of the warehouse (the atomic swap of the build schemas).
create table audit.publications (
  run_id        bigint      not null references audit.runs on delete cascade primary key,
  published_at  timestamptz not null default clock_timestamp(),
  models        integer     not null,
  model_rows    jsonb       not null
);

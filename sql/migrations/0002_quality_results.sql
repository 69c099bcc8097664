-- Results of every quality check of every run, so trends are queryable.
create table audit.quality_results (
  run_id         bigint      not null references audit.runs on delete cascade,
  check_name     text        not null,
  layer          text        not null,
  severity       text        not null check (severity in ('error', 'warn')),
  status         text        not null check (status in ('pass', 'fail', 'warn')),
  failing_rows   bigint      not null,
  sample_keys    jsonb       not null default '[]',
  description    text,
  duration_ms    integer     not null,
  checked_at     timestamptz not null default clock_timestamp(),
  primary key (run_id, check_name)
);

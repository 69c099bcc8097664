-- Declarative quality checks (src/quality): what each result checked and where it is declared,
-- plus one row per gate evaluation so the report can show the trend per run.
alter table audit.quality_results
  add column kind        text,
  add column target      text,
  add column rule        text,
  add column declared_in text,
  add column note        text,
  add column details     jsonb;

create index quality_results_check on audit.quality_results (check_name, run_id);

create table audit.quality_gates (
  run_id        bigint      not null references audit.runs on delete cascade primary key,
  staged        boolean     not null,
  passed        boolean     not null,
  logical_date  date        not null,
  checks        integer     not null,
  failed        integer     not null,
  warned        integer     not null,
  duration_ms   integer     not null,
  checked_at    timestamptz not null default clock_timestamp()
);

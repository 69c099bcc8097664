-- A job made of several CLI calls (an Airflow full refresh: reserve, migrate, ingest, transform,
-- check, publish, release) reserves the warehouse for its whole length; the advisory lock only
-- covers one call. While a reservation is live, every audited job of another id is refused with
-- exit 75 ("busy, retry later"). Numbered 0014 (the issue that added it) to stay clear of
-- migrations other branches add meanwhile; migrations apply by version, gaps are fine.
create table audit.job_reservations (
  resource     text        primary key default 'warehouse' check (resource = 'warehouse'),
  job_id       text        not null,
  reserved_at  timestamptz not null default now(),
  -- A job that dies without releasing (worker lost) does not block the warehouse forever.
  expires_at   timestamptz not null
);

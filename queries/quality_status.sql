-- Can we trust today's numbers? The current result of every quality check, counted by severity and
-- status, and the rows rejected by the last run that loaded files (counts only, never values).
with checks as (
    select severity, status, count(*) as checks, sum(failing_rows) as failing_rows
    from marts.v_quality_checks
    group by severity, status
),
last_load as (
    select max(run_id) as run_id from marts.v_quality_runs where rows_read is not null
)
select
    checks.severity,
    checks.status,
    checks.checks,
    checks.failing_rows,
    (select coalesce(sum(rejected_rows), 0) from marts.v_rejected_summary where run_id = (select run_id from last_load)) as rejected_rows_last_load
from checks
order by checks.severity, checks.status

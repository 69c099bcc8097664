-- @materialized: view
-- @description: Quality status for analysts, grain one job run (newest run_id first in queries): command, status, feed batch, duration, rows read/loaded/rejected, the gate's outcome and whether it published. Error texts are left out (they can quote rejected values).

with runs as (

    select * from audit.runs

),

file_loads as (

    select run_id, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded, sum(rows_rejected) as rows_rejected
    from audit.file_loads
    group by run_id

),

batches as (

    select * from audit.feed_batches

),

gates as (

    select * from audit.quality_gates

),

publications as (

    select * from audit.publications

),

final as (

    select
        -- the run
        runs.run_id,
        runs.command,
        runs.status,
        runs.batch_id,
        runs.started_at,
        runs.finished_at,
        round(extract(epoch from (runs.finished_at - runs.started_at))::numeric, 1) as seconds,
        runs.error is not null as has_error,

        -- rows: a full load's files, or a feed batch's
        coalesce(file_loads.rows_read, batches.rows_read) as rows_read,
        coalesce(file_loads.rows_loaded, batches.rows_loaded) as rows_loaded,
        coalesce(file_loads.rows_rejected, batches.rows_rejected) as rows_rejected,

        -- quality gate (null when the run checked nothing)
        gates.passed as gate_passed,
        gates.checks,
        gates.failed as checks_failed,
        gates.warned as checks_warned,

        -- published: a full load's swap, or a feed batch committed
        (publications.run_id is not null or batches.run_id is not null) as published

    from runs
    left join file_loads
        on file_loads.run_id = runs.run_id
    left join batches
        on batches.run_id = runs.run_id
    left join gates
        on gates.run_id = runs.run_id
    left join publications
        on publications.run_id = runs.run_id

)

select * from final

-- @materialized: view
-- @description: Quality status for analysts, grain one quality check: its latest result (a full gate checks everything; a feed batch re-checks what it touched, the rest keep their last result), with severity, status, failing rows and what it checks. Failing keys and details are left out (they can quote raw values).

with results as (

    select * from audit.quality_results

),

latest as (

    select distinct on (check_name) *
    from results
    order by check_name, run_id desc

),

final as (

    select
        -- the check
        check_name,
        layer,
        kind,
        target,
        description,
        rule,
        declared_in,
        severity,

        -- its latest result
        status,
        failing_rows,
        run_id,
        checked_at

    from latest

)

select * from final

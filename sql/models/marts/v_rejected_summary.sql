-- @materialized: view
-- @description: Quarantine summary for analysts, grain one run, file, column and kind of reason: how many rows were rejected, never their values. Line numbers in reasons are masked so that equal reasons group together.

with rejected as (

    select * from audit.rejected_rows

),

runs as (

    select * from audit.runs

),

-- the reason without what can vary row by row: the parser's message (it may quote the record)
-- and the line numbers of duplicates
reasons as (

    select
        run_id,
        source,
        file_name,
        column_name,
        case
            when reason like 'unparsable CSV record:%' then 'unparsable CSV record'
            else regexp_replace(reason, '(lines?) [0-9][0-9, ]*( and [0-9]+ more)?', '\1 N', 'g')
        end as reason
    from rejected

),

final as (

    select
        -- the run
        reasons.run_id,
        runs.command,
        runs.batch_id,
        runs.started_at,

        -- where and why
        reasons.source,
        reasons.file_name,
        reasons.column_name,
        reasons.reason,

        -- how many
        count(*)::int as rejected_rows

    from reasons
    inner join runs
        on runs.run_id = reasons.run_id
    group by reasons.run_id, runs.command, runs.batch_id, runs.started_at,
        reasons.source, reasons.file_name, reasons.column_name, reasons.reason

)

select * from final

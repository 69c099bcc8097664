-- @primary_key: seller_id, effective_from
-- @incremental: seller_id
-- @incremental_scope: select seller_id from {{ changed('sellers') }}
-- @description: Every version of every seller received (the full load's file row, then each version the feed sent), with the time it takes effect from ('-infinity' for a version valid since the beginning).
-- @test: reconcile(count = source('sellers_versions')) name=stg_seller_versions.reconcile.raw desc="Every received seller version reaches staging."

with versions as (

    select * from {{ source('sellers_versions') }}

),

renamed as (

    select
        -- ids
        seller_id,
        -- a version without an effective time (the Kaggle file's) holds since the beginning
        coalesce(seller_effective_from, '-infinity') as effective_from,

        -- location
        seller_zip_code_prefix as zip_code_prefix,
        seller_city as city,
        seller_state as state,

        -- lineage
        _line as source_line

    from versions

)

select * from renamed

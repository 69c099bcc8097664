-- @primary_key: seller_id
-- @index: zip_code_prefix
-- @incremental: seller_id
-- @incremental_scope: select seller_id from {{ changed('sellers') }}
-- @description: One row per marketplace seller with its location.
-- @test: reconcile(count = source('sellers')) name=stg_sellers.reconcile.raw desc="Every loaded seller reaches staging."

with sellers as (

    select * from {{ source('sellers') }}

),

renamed as (

    select
        -- ids
        seller_id,

        -- location
        seller_zip_code_prefix as zip_code_prefix,
        seller_city as city,
        seller_state as state,

        -- lineage
        _line as source_line

    from sellers

)

select * from renamed

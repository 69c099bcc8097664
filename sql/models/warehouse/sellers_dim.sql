-- @primary_key: seller_key
-- @unique: seller_id
-- @index: state
-- @incremental: seller_id
-- @incremental_scope: select seller_id from {{ touched('stg_sellers') }}
-- @incremental_scope: select seller_id from {{ ref('stg_sellers') }} where zip_code_prefix in (select zip_code_prefix from {{ touched('stg_geolocation') }})
-- @incremental_scope: select seller_id from {{ ref('stg_sellers') }} where state in (select state from {{ touched('stg_state_regions') }})
-- @description: One row per seller with location, state name, macro-region and prefix coordinates.
-- @test: reconcile(count = ref('stg_sellers')) name=sellers_dim.reconcile.staging desc="Every staged seller is in the seller dimension."
-- @test: not_null(region) desc="Every seller is placed in a macro-region."
-- @test: expression(has_geolocation) severity=warn name=sellers_dim.without_geolocation desc="Sellers' zip prefixes have coordinates (missing ones cannot be mapped)."

with sellers as (

    select * from {{ ref('stg_sellers') }}

),

geolocation as (

    select * from {{ ref('stg_geolocation') }}

),

state_regions as (

    select * from {{ ref('stg_state_regions') }}

),

final as (

    select
        -- keys
        {{ surrogate_key('sellers.seller_id') }} as seller_key,
        sellers.seller_id,

        -- location
        sellers.zip_code_prefix,
        sellers.city,
        sellers.state,
        state_regions.state_name,
        state_regions.region,

        -- coordinates of the zip prefix; null when the prefix is absent from geolocation
        geolocation.latitude,
        geolocation.longitude,
        geolocation.zip_code_prefix is not null as has_geolocation

    from sellers
    left join geolocation
        on geolocation.zip_code_prefix = sellers.zip_code_prefix
    left join state_regions
        on state_regions.state = sellers.state

)

select * from final

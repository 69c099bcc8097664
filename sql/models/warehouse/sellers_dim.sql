-- @primary_key: seller_key
-- @unique: seller_id
-- @index: state
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
        row_number() over (order by sellers.seller_id)::int as seller_key,
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

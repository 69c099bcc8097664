-- @primary_key: customer_key
-- @unique: customer_id
-- @index: customer_unique_id
-- @incremental: customer_id
-- @incremental_scope: select customer_id from {{ touched('stg_customers') }}
-- @incremental_scope: select customer_id from {{ ref('stg_customers') }} where zip_code_prefix in (select zip_code_prefix from {{ touched('stg_geolocation') }})
-- @incremental_scope: select customer_id from {{ ref('stg_customers') }} where state in (select state from {{ touched('stg_state_regions') }})
-- @description: One row per order-level customer (customer_id) with the person id, location, state name, macro-region and prefix coordinates.
-- @test: reconcile(count = ref('stg_customers')) name=customers_dim.reconcile.staging desc="Every staged customer is in the customer dimension."
-- @test: not_null(region) desc="Every customer is placed in a macro-region."
-- @test: expression(has_geolocation) severity=warn name=customers_dim.without_geolocation desc="Customers' zip prefixes have coordinates (missing ones cannot be mapped)."

with customers as (

    select * from {{ ref('stg_customers') }}

),

geolocation as (

    select * from {{ ref('stg_geolocation') }}

),

state_regions as (

    select * from {{ ref('stg_state_regions') }}

),

final as (

    select
        -- keys: surrogate derived from the natural key (same key in a full build and an incremental one)
        {{ surrogate_key('customers.customer_id') }} as customer_key,
        customers.customer_id,
        -- the person: repeat buyers share it, count people with it
        customers.customer_unique_id,

        -- location as declared by the customer
        customers.zip_code_prefix,
        customers.city,
        customers.state,
        state_regions.state_name,
        state_regions.region,

        -- coordinates of the zip prefix; null when the prefix is absent from geolocation
        geolocation.latitude,
        geolocation.longitude,
        geolocation.zip_code_prefix is not null as has_geolocation

    from customers
    left join geolocation
        on geolocation.zip_code_prefix = customers.zip_code_prefix
    left join state_regions
        on state_regions.state = customers.state

)

select * from final

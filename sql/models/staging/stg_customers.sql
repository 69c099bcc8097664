-- @primary_key: customer_id
-- @index: customer_unique_id
-- @index: zip_code_prefix
-- @incremental: customer_id
-- @incremental_scope: select customer_id from {{ changed('customers') }}
-- @description: One row per order-level customer id (Olist issues a new customer_id per order); customer_unique_id identifies the person.
-- @test: reconcile(count = source('customers')) name=stg_customers.reconcile.raw desc="Every loaded customer reaches staging."

with customers as (

    select * from {{ source('customers') }}

),

renamed as (

    select
        -- ids
        customer_id,
        customer_unique_id,

        -- location (city kept as given: lower case, no accents)
        customer_zip_code_prefix as zip_code_prefix,
        customer_city as city,
        customer_state as state,

        -- lineage
        _line as source_line

    from customers

)

select * from renamed

-- @primary_key: order_id
-- @unique: customer_id
-- @index: purchased_at
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ changed('orders') }}
-- @description: One row per order with its lifecycle timestamps and data-quality flags (nothing is dropped or corrected).
-- @test: reconcile(count = source('orders')) name=stg_orders.reconcile.raw desc="Every loaded order reaches staging (raw orders = staged orders)."
-- @test: not_null(delivered_customer_at) severity=warn name=stg_orders.delivered_without_date desc="Orders marked delivered have a delivery date." where order_status = 'delivered'
-- @test: expression(approved_at >= purchased_at) severity=warn name=stg_orders.approved_after_purchase desc="Payment is approved at or after the purchase."
-- @test: expression(delivered_customer_at >= purchased_at) severity=warn name=stg_orders.delivered_after_purchase desc="The customer receives the order at or after the purchase."
-- @test: expression(delivered_carrier_at >= approved_at) severity=warn name=stg_orders.carrier_after_approval desc="The carrier gets the order at or after payment approval."
-- @test: expression(delivered_carrier_at >= purchased_at) severity=warn name=stg_orders.carrier_after_purchase desc="The carrier gets the order at or after the purchase."
-- @test: expression(delivered_customer_at >= delivered_carrier_at) severity=warn name=stg_orders.delivered_after_carrier desc="The customer receives the order at or after the carrier got it."
-- @test: freshness(purchased_at, 3 days) name=stg_orders.freshness desc="The newest order is at most 3 days older than the run's logical date."

with orders as (

    select * from {{ source('orders') }}

),

renamed as (

    select
        -- ids
        order_id,
        customer_id,

        -- status at extraction time
        order_status,

        -- timestamps (local time, no zone)
        order_purchase_timestamp as purchased_at,
        order_approved_at as approved_at,
        order_delivered_carrier_date as delivered_carrier_at,
        order_delivered_customer_date as delivered_customer_at,
        order_estimated_delivery_date as estimated_delivery_at,

        -- lineage
        _line as source_line

    from orders

),

-- the source has logically impossible sequences; they are kept (the status and amounts are
-- still valid) and flagged so that duration metrics can exclude or inspect them.
flagged as (

    select
        *,

        -- status vs timestamps
        (order_status = 'delivered' and delivered_customer_at is null) as is_delivered_without_date,
        (order_status <> 'delivered' and delivered_customer_at is not null) as has_delivery_date_not_delivered,

        -- timestamps out of order, one flag per kind
        coalesce(approved_at < purchased_at, false) as is_approved_before_purchase,
        coalesce(delivered_carrier_at < approved_at, false) as is_carrier_before_approval,
        coalesce(delivered_carrier_at < purchased_at, false) as is_carrier_before_purchase,
        coalesce(delivered_customer_at < delivered_carrier_at, false) as is_delivered_before_carrier,
        coalesce(delivered_customer_at < purchased_at, false) as is_delivered_before_purchase,
        (estimated_delivery_at < purchased_at) as is_estimated_before_purchase

    from renamed

),

final as (

    select
        *,
        (is_approved_before_purchase
            or is_carrier_before_approval
            or is_carrier_before_purchase
            or is_delivered_before_carrier
            or is_delivered_before_purchase
            or is_estimated_before_purchase) as has_timestamps_out_of_order
    from flagged

)

select * from final

-- @primary_key: order_id
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ changes('order_fulfillment_fact', 'customer_key', 'purchased_at', 'is_delivered', 'delivered_customer_at', 'estimated_delivery_at', 'delivery_days', 'is_late', 'has_review', 'review_score') }}
-- @incremental_scope: select o.order_id from {{ ref('order_fulfillment_fact') }} o join {{ ref('customers_dim') }} c using (customer_key) where c.customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @index: state, delivery_days_order
-- @index: month, delivery_days_order
-- @description: One row per delivered order (status delivered with a delivery date): its customer's state and region, its purchase month, and its delivery, estimated and delay days (exact, from the timestamps), with the delivery days also as a double for ordering; its lateness, delay in calendar days and review. What the delivery totals and review_delay_totals add up, and where the delivery marts read their medians and p90: the indexes on (state, days) and (month, days) hand out the value at any rank of a state or month without sorting it.
-- @test: not_null(delivery_days_order, state, month)

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

-- delivered = status delivered AND a delivery date: the delivered orders without a date stay in
-- order counts elsewhere but cannot have a duration
delivered as (

    select
        orders.order_id,
        customers.state,
        customers.region,
        date_trunc('month', orders.purchased_at)::date as month,
        extract(epoch from (orders.delivered_customer_at - orders.purchased_at)) / 86400 as delivery_days,
        extract(epoch from (orders.estimated_delivery_at - orders.purchased_at)) / 86400 as estimated_days,
        extract(epoch from (orders.delivered_customer_at - orders.estimated_delivery_at)) / 86400 as delay_days,
        orders.delivered_customer_at::date - orders.estimated_delivery_at::date as delay_calendar_days,
        orders.delivery_days as rounded_delivery_days,
        orders.is_late,
        orders.has_review,
        orders.review_score
    from orders
    inner join customers
        on customers.customer_key = orders.customer_key
    where orders.is_delivered

),

final as (

    select
        -- the order, where it went and when it was bought
        order_id,
        state,
        region,
        month,

        -- durations in days: exact quotients of whole seconds by 86,400 (24 decimals hold them as
        -- the averages read them), and the delivery days as the double the percentiles order by
        delivery_days::numeric(40,24) as delivery_days,
        estimated_days::numeric(40,24) as estimated_days,
        delay_days::numeric(40,24) as delay_days,
        delivery_days::double precision as delivery_days_order,

        -- lateness as a 0/1 count, and the delay in calendar days as is_late counts it (0 = on the
        -- promised day, negative = early)
        coalesce(is_late, false)::int as late_orders,
        delay_calendar_days,

        -- the order's review (reviews 0/1; score null without one) and the fact's 4-decimal
        -- delivery days, which review_delay averages
        has_review::int as reviews,
        review_score,
        rounded_delivery_days

    from delivered

)

select * from final

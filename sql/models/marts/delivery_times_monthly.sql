-- @primary_key: month
-- @incremental: month
-- @incremental_scope: select date_trunc('month', purchased_at)::date from {{ ref('order_fulfillment_fact') }} where order_id in (select order_id from {{ touched('order_fulfillment_fact') }})
-- @description: Delivery times per purchase month over delivered orders (status delivered with a delivery date): average, median and p90 delivery days, estimated days, delay, late orders and late rate (fraction 0..1).

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

-- delivered = status delivered AND a delivery date: the delivered orders without a date stay in
-- order counts elsewhere but cannot have a duration. Durations are computed from the
-- timestamps (exact), not from the 4-decimal columns of the fact.
delivered as (

    select
        date_trunc('month', orders.purchased_at)::date as month,
        extract(epoch from (orders.delivered_customer_at - orders.purchased_at)) / 86400 as delivery_days,
        extract(epoch from (orders.estimated_delivery_at - orders.purchased_at)) / 86400 as estimated_days,
        extract(epoch from (orders.delivered_customer_at - orders.estimated_delivery_at)) / 86400 as delay_days,
        orders.is_late
    from orders
    where orders.is_delivered

),

aggregated as (

    select
        month,
        count(*) as delivered_orders,
        avg(delivery_days) as avg_delivery_days,
        percentile_cont(0.5) within group (order by delivery_days::double precision) as median_delivery_days,
        percentile_cont(0.9) within group (order by delivery_days::double precision) as p90_delivery_days,
        avg(estimated_days) as avg_estimated_days,
        avg(delay_days) as avg_delay_days,
        count(*) filter (where is_late) as late_orders
    from delivered
    group by month

),

final as (

    select
        -- month of purchase
        month,

        -- volume
        delivered_orders::int as delivered_orders,

        -- durations in days (2 decimals; delay is negative when delivered early)
        round(avg_delivery_days, 2)::numeric(10,2) as avg_delivery_days,
        round(median_delivery_days::numeric, 2)::numeric(10,2) as median_delivery_days,
        round(p90_delivery_days::numeric, 2)::numeric(10,2) as p90_delivery_days,
        round(avg_estimated_days, 2)::numeric(10,2) as avg_estimated_days,
        round(avg_delay_days, 2)::numeric(10,2) as avg_delay_days,

        -- lateness: delivered on a later calendar day than the estimate
        late_orders::int as late_orders,
        round(late_orders::numeric / delivered_orders, 4)::numeric(6,4) as late_rate

    from aggregated

)

select * from final
order by month

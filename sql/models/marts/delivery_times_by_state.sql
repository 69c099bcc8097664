-- @primary_key: state
-- @incremental: state
-- @incremental_scope: select c.state from {{ ref('order_fulfillment_fact') }} o join {{ ref('customers_dim') }} c using (customer_key) where o.order_id in (select order_id from {{ touched('order_fulfillment_fact') }})
-- @incremental_scope: select state from {{ ref('customers_dim') }} where customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @description: Delivery times per customer state over delivered orders (status delivered with a delivery date): average, median and p90 delivery days, estimated days, delay, late orders and late rate (fraction 0..1).
-- @test: reconcile(sum(delivered_orders) = count of ref('order_fulfillment_fact') where is_delivered) name=delivery_times_by_state.reconcile.delivered desc="Delivered orders by state add up to all delivered orders."

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

-- delivered = status delivered AND a delivery date: the delivered orders without a date stay in
-- order counts elsewhere but cannot have a duration. Durations are computed from the
-- timestamps (exact), not from the 4-decimal columns of the fact.
delivered as (

    select
        customers.state,
        customers.region,
        extract(epoch from (orders.delivered_customer_at - orders.purchased_at)) / 86400 as delivery_days,
        extract(epoch from (orders.estimated_delivery_at - orders.purchased_at)) / 86400 as estimated_days,
        extract(epoch from (orders.delivered_customer_at - orders.estimated_delivery_at)) / 86400 as delay_days,
        orders.is_late
    from orders
    inner join customers
        on customers.customer_key = orders.customer_key
    where orders.is_delivered

),

aggregated as (

    select
        state,
        region,
        count(*) as delivered_orders,
        avg(delivery_days) as avg_delivery_days,
        percentile_cont(0.5) within group (order by delivery_days::double precision) as median_delivery_days,
        percentile_cont(0.9) within group (order by delivery_days::double precision) as p90_delivery_days,
        avg(estimated_days) as avg_estimated_days,
        avg(delay_days) as avg_delay_days,
        count(*) filter (where is_late) as late_orders
    from delivered
    group by state, region

),

final as (

    select
        -- customer geography
        state,
        region,

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
order by state

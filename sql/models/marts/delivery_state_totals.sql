-- @primary_key: state
-- @incremental_additive: delivered_orders
-- @description: Sums per customer state of delivered_orders (one row per delivered order): delivered orders, delivery, estimated and delay days, late orders. What delivery_times_by_state derives its averages and late rate from; the feed adds a batch's change of delivered_orders to the customer states it touched.

with delivered_orders as (

    select * from {{ ref('delivered_orders') }}

),

-- one row per delivered order, so the delivered orders of a customer state are a count of its rows
final as (

    select
        -- customer state
        state,
        -- the state's region (the same for every order of the state)
        region,

        -- sums
        count(*)::int as delivered_orders,
        sum(delivery_days)::numeric(40,24) as delivery_days_sum,
        sum(estimated_days)::numeric(40,24) as estimated_days_sum,
        sum(delay_days)::numeric(40,24) as delay_days_sum,
        sum(late_orders)::int as late_orders

    from delivered_orders
    group by state, region

)

select * from final

-- @primary_key: month
-- @incremental_additive: delivered_orders
-- @description: Sums per purchase month of delivered_orders (one row per delivered order): delivered orders, delivery, estimated and delay days, late orders. What delivery_times_monthly derives its averages and late rate from; the feed adds a batch's change of delivered_orders to the purchase months it touched.

with delivered_orders as (

    select * from {{ ref('delivered_orders') }}

),

-- one row per delivered order, so the delivered orders of a purchase month are a count of its rows
final as (

    select
        -- purchase month
        month,

        -- sums
        count(*)::int as delivered_orders,
        sum(delivery_days)::numeric(40,24) as delivery_days_sum,
        sum(estimated_days)::numeric(40,24) as estimated_days_sum,
        sum(delay_days)::numeric(40,24) as delay_days_sum,
        sum(late_orders)::int as late_orders

    from delivered_orders
    group by month

)

select * from final

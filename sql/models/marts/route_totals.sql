-- @primary_key: route
-- @incremental_additive: route_orders
-- @description: Sums per shipping route of route_orders (one row per order and route): orders, items, items revenue, freight, delivered orders, delivery days (sum and count) and late orders. What routes derives its GMV, shares, averages and rates from; the feed adds a batch's change of route_orders to the routes it touched.

with route_orders as (

    select * from {{ ref('route_orders') }}

),

-- one row per order and route, so the orders of a route are a count of its rows
final as (

    select
        -- route
        route,
        seller_state,
        customer_state,
        seller_region,
        customer_region,

        -- sums
        count(*)::int as orders,
        sum(items)::int as items,
        sum(items_revenue)::numeric(14,2) as items_revenue,
        sum(freight_value)::numeric(14,2) as freight_value,
        sum(delivered_orders)::int as delivered_orders,
        sum(delivery_days_sum)::numeric(16,4) as delivery_days_sum,
        sum(delivery_days_count)::int as delivery_days_count,
        sum(late_orders)::int as late_orders

    from route_orders
    group by route, seller_state, customer_state, seller_region, customer_region

)

select * from final

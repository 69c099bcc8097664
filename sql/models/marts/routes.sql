-- @primary_key: seller_state, customer_state
-- @unique: route
-- @incremental: route
-- @incremental_scope: select route from {{ touched('route_totals') }}
-- @description: Shipping routes, seller state to customer state, over revenue items: orders, items, items revenue, freight, GMV, freight share of GMV, delivered orders, average delivery days, late orders and late rate (fractions 0..1). An order with sellers in two states counts on both routes. Derived from the sums of route_totals, one row per route: the feed recomputes the routes whose sums a batch changed.
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=routes.reconcile.gmv desc="Revenue by route adds up to the revenue items of the sales fact."
-- @test: reconcile(sum(items) = count of ref('orders_fact') where is_revenue) name=routes.reconcile.items desc="Items by route add up to the revenue items of the sales fact (through route_orders and route_totals)."
-- @test: range(freight_share between 0 and 1)
-- @test: range(late_rate between 0 and 1)

with route_totals as (

    select * from {{ ref('route_totals') }}

),

final as (

    select
        -- route
        route_totals.route,
        route_totals.seller_state,
        route_totals.customer_state,
        route_totals.seller_region,
        route_totals.customer_region,
        route_totals.seller_state = route_totals.customer_state as is_same_state,

        -- volumes
        route_totals.orders::int as orders,
        route_totals.items::int as items,

        -- money (BRL); freight share = freight / (items + freight)
        round(route_totals.items_revenue, 2)::numeric(14,2) as items_revenue,
        round(route_totals.freight_value, 2)::numeric(14,2) as freight_value,
        round(route_totals.items_revenue + route_totals.freight_value, 2)::numeric(14,2) as gmv,
        round(route_totals.freight_value / nullif(route_totals.items_revenue + route_totals.freight_value, 0), 4)::numeric(6,4) as freight_share,

        -- delivery (orders delivered with a delivery date)
        route_totals.delivered_orders::int as delivered_orders,
        round(route_totals.delivery_days_sum / nullif(route_totals.delivery_days_count, 0), 2)::numeric(10,2) as avg_delivery_days,
        route_totals.late_orders::int as late_orders,
        round(route_totals.late_orders::numeric / nullif(route_totals.delivered_orders, 0), 4)::numeric(6,4) as late_rate

    from route_totals

)

select * from final
order by seller_state, customer_state

-- @primary_key: order_id, route
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ changes('orders_fact', 'seller_key', 'customer_key', 'price', 'freight_value', 'is_revenue') }}
-- @incremental_scope: select order_id from {{ changes('order_fulfillment_fact', 'is_delivered', 'delivery_days', 'is_late') }}
-- @incremental_scope: select o.order_id from {{ ref('orders_fact') }} o join {{ ref('sellers_dim') }} s using (seller_key) where s.seller_id in (select seller_id from {{ touched('sellers_dim') }})
-- @incremental_scope: select o.order_id from {{ ref('orders_fact') }} o join {{ ref('customers_dim') }} c using (customer_key) where c.customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @description: One row per revenue order and shipping route (seller state to customer state; an order with sellers in two states is on both): its items, items revenue and freight on the route, and its delivery (delivered with a date, delivery days as a sum and count, late). What route_totals adds up: a count of rows is a count of orders, so a batch adds its own orders' change to a route instead of counting the route's items again.
-- @test: range(delivered_orders between 0 and 1)

with items as (

    select * from {{ ref('orders_fact') }}

),

orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

sellers as (

    select * from {{ ref('sellers_dim') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

-- each revenue item on its route; the route key is written 'SP>RJ'
route_items as (

    select
        sellers.state || '>' || customers.state as route,
        sellers.state as seller_state,
        sellers.region as seller_region,
        customers.state as customer_state,
        customers.region as customer_region,
        items.order_id,
        items.price,
        items.freight_value
    from items
    inner join sellers
        on sellers.seller_key = items.seller_key
    inner join customers
        on customers.customer_key = items.customer_key
    where items.is_revenue

),

order_routes as (

    select
        order_id,
        route,
        seller_state,
        seller_region,
        customer_state,
        customer_region,
        count(*) as items,
        sum(price) as items_revenue,
        sum(freight_value) as freight_value
    from route_items
    group by order_id, route, seller_state, seller_region, customer_state, customer_region

),

final as (

    select
        -- the order and its route
        order_routes.order_id,
        order_routes.route,
        order_routes.seller_state,
        order_routes.customer_state,
        order_routes.seller_region,
        order_routes.customer_region,

        -- its items on the route
        order_routes.items::int as items,
        order_routes.items_revenue::numeric(14,2) as items_revenue,
        order_routes.freight_value::numeric(14,2) as freight_value,

        -- delivery is per order, whatever the number of its items: 0/1 counts, and the delivery
        -- days as a sum and a count so that the route's average is exact (the fact's delivery days)
        orders.is_delivered::int as delivered_orders,
        case when orders.is_delivered then coalesce(orders.delivery_days, 0) else 0 end::numeric(12,4) as delivery_days_sum,
        (orders.is_delivered and orders.delivery_days is not null)::int as delivery_days_count,
        coalesce(orders.is_delivered and orders.is_late, false)::int as late_orders

    from order_routes
    inner join orders
        on orders.order_id = order_routes.order_id

)

select * from final

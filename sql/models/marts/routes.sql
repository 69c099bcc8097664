-- @primary_key: seller_state, customer_state
-- @unique: route
-- @incremental: route
-- @incremental_scope: select s.state || '>' || c.state from {{ ref('orders_fact') }} i join {{ ref('sellers_dim') }} s using (seller_key) join {{ ref('customers_dim') }} c using (customer_key) where i.order_id in (select order_id from {{ touched('orders_fact') }})
-- @incremental_scope: select s.state || '>' || c.state from {{ ref('orders_fact') }} i join {{ ref('sellers_dim') }} s using (seller_key) join {{ ref('customers_dim') }} c using (customer_key) where i.order_id in (select order_id from {{ touched('order_fulfillment_fact') }})
-- @incremental_scope: select s.state || '>' || c.state from {{ ref('orders_fact') }} i join {{ ref('sellers_dim') }} s using (seller_key) join {{ ref('customers_dim') }} c using (customer_key) where s.seller_id in (select seller_id from {{ changed('sellers') }})
-- @description: Shipping routes, seller state to customer state, over revenue items: orders, items, items revenue, freight, GMV, freight share of GMV, delivered orders, average delivery days, late orders and late rate (fractions 0..1). An order with sellers in two states counts on both routes.
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=routes.reconcile.gmv desc="Revenue by route adds up to the revenue items of the sales fact."
-- @test: range(freight_share between 0 and 1)
-- @test: range(late_rate between 0 and 1)

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

-- each revenue item on its route; the route key (written 'SP>RJ', also in the scopes above)
-- is the feed's partition
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

route_sales as (

    select
        route,
        seller_state,
        seller_region,
        customer_state,
        customer_region,
        count(*) as items,
        sum(price) as items_revenue,
        sum(freight_value) as freight_value
    from route_items
    group by route, seller_state, seller_region, customer_state, customer_region

),

-- delivery is per order: once per order and route, whatever the number of its items
route_orders as (

    select distinct
        route,
        order_id
    from route_items

),

-- orders per route counted from the distinct (route, order) pairs: the same number as a
-- count(distinct order_id) over the items, without sorting every item of the touched routes
-- (the routes a day touches hold ~97% of the items, so that sort was most of the feed's time)
route_order_counts as (

    select
        route,
        count(*) as orders
    from route_orders
    group by route

),

route_delivery as (

    select
        route_orders.route,
        count(*) filter (where orders.is_delivered) as delivered_orders,
        -- the fact's delivery days (one fact in one place)
        avg(orders.delivery_days) filter (where orders.is_delivered) as avg_delivery_days,
        count(*) filter (where orders.is_delivered and orders.is_late) as late_orders
    from route_orders
    inner join orders
        on orders.order_id = route_orders.order_id
    group by route_orders.route

),

final as (

    select
        -- route
        route_sales.route,
        route_sales.seller_state,
        route_sales.customer_state,
        route_sales.seller_region,
        route_sales.customer_region,
        route_sales.seller_state = route_sales.customer_state as is_same_state,

        -- volumes
        route_order_counts.orders::int as orders,
        route_sales.items::int as items,

        -- money (BRL); freight share = freight / (items + freight)
        round(route_sales.items_revenue, 2)::numeric(14,2) as items_revenue,
        round(route_sales.freight_value, 2)::numeric(14,2) as freight_value,
        round(route_sales.items_revenue + route_sales.freight_value, 2)::numeric(14,2) as gmv,
        round(route_sales.freight_value / nullif(route_sales.items_revenue + route_sales.freight_value, 0), 4)::numeric(6,4) as freight_share,

        -- delivery (orders delivered with a delivery date)
        route_delivery.delivered_orders::int as delivered_orders,
        round(route_delivery.avg_delivery_days, 2)::numeric(10,2) as avg_delivery_days,
        route_delivery.late_orders::int as late_orders,
        round(route_delivery.late_orders::numeric / nullif(route_delivery.delivered_orders, 0), 4)::numeric(6,4) as late_rate

    from route_sales
    inner join route_delivery
        on route_delivery.route = route_sales.route
    inner join route_order_counts
        on route_order_counts.route = route_sales.route

)

select * from final
order by seller_state, customer_state

-- @primary_key: seller_id
-- @index: seller_state
-- @incremental: seller_id
-- @incremental_scope: select s.seller_id from {{ ref('orders_fact') }} i join {{ ref('sellers_dim') }} s using (seller_key) where i.order_id in (select order_id from {{ touched('orders_fact') }})
-- @incremental_scope: select s.seller_id from {{ ref('orders_fact') }} i join {{ ref('sellers_dim') }} s using (seller_key) where i.order_id in (select order_id from {{ touched('order_fulfillment_fact') }})
-- @incremental_scope: select seller_id from {{ touched('sellers_dim') }}
-- @description: Per seller (with at least one item sold; seller_state is the current version's): orders, items, GMV, average review, delivered orders, on-time rate, average delivery days, late-shipping rate, canceled orders. Rates are fractions 0..1.
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=seller_performance.reconcile.gmv desc="Revenue by seller adds up to the total revenue."
-- @test: range(on_time_rate between 0 and 1)
-- @test: range(avg_review_score between 1 and 5)

with items as (

    select * from {{ ref('orders_fact') }}

),

sellers as (

    select * from {{ ref('sellers_dim') }}

),

orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

-- each item with its seller's natural key: the mart is keyed (and recomputed by the daily feed)
-- by seller_id, so grouping on it lets a filter on a few sellers reach the seller_key index
seller_sales as (

    select
        sellers.seller_id,
        items.*
    from items
    inner join sellers
        on sellers.seller_key = items.seller_key

),

-- item-level measures: an order with items from two sellers counts for both
seller_items as (

    select
        seller_id,
        count(*) as items,
        coalesce(sum(item_total) filter (where is_revenue), 0) as gmv,
        -- late shipping: handed to the carrier after the item's deadline, among items handed over
        count(*) filter (where delivered_carrier_at is not null) as shipped_items,
        count(*) filter (where delivered_carrier_at > shipping_limit_date) as late_shipped_items
    from seller_sales
    group by seller_id

),

-- order-level measures: the order's review, delivery and status are shared by all its sellers
seller_orders as (

    select distinct
        seller_id,
        order_id
    from seller_sales

),

-- orders per seller counted from the distinct (seller, order) pairs: the same number as a
-- count(distinct order_id) over the items, without sorting every item of the touched sellers
seller_order_counts as (

    select
        seller_id,
        count(*) as orders
    from seller_orders
    group by seller_id

),

seller_order_measures as (

    select
        seller_orders.seller_id,
        avg(orders.review_score) as avg_review_score,
        count(*) filter (where orders.is_delivered) as delivered_orders,
        count(*) filter (where orders.is_delivered and not orders.is_late) as on_time_orders,
        avg(extract(epoch from (orders.delivered_customer_at - orders.purchased_at)) / 86400)
            filter (where orders.is_delivered) as avg_delivery_days,
        count(*) filter (where orders.order_status = 'canceled') as canceled_orders
    from seller_orders
    inner join orders
        on orders.order_id = seller_orders.order_id
    group by seller_orders.seller_id

),

final as (

    select
        -- seller
        sellers.seller_id,
        sellers.state as seller_state,

        -- volumes (all statuses)
        seller_order_counts.orders::int as orders,
        seller_items.items::int as items,

        -- money (revenue items only)
        round(seller_items.gmv, 2)::numeric(14,2) as gmv,

        -- satisfaction (kept review of each order; null when no order was reviewed)
        round(seller_order_measures.avg_review_score, 2)::numeric(4,2) as avg_review_score,

        -- delivery (orders delivered with a delivery date)
        seller_order_measures.delivered_orders::int as delivered_orders,
        round(seller_order_measures.on_time_orders::numeric
              / nullif(seller_order_measures.delivered_orders, 0), 4)::numeric(6,4) as on_time_rate,
        round(seller_order_measures.avg_delivery_days, 2)::numeric(10,2) as avg_delivery_days,
        round(seller_items.late_shipped_items::numeric
              / nullif(seller_items.shipped_items, 0), 4)::numeric(6,4) as late_shipping_rate,

        -- cancellations
        seller_order_measures.canceled_orders::int as canceled_orders

    from seller_items
    -- the seller as it is today (a seller keeps one row here across its versions)
    inner join sellers
        on sellers.seller_id = seller_items.seller_id
        and sellers.is_current
    inner join seller_order_measures
        on seller_order_measures.seller_id = seller_items.seller_id
    inner join seller_order_counts
        on seller_order_counts.seller_id = seller_items.seller_id

)

select * from final
order by seller_id

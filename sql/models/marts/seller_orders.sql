-- @primary_key: order_id, seller_id
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ touched('orders_fact') }}
-- @incremental_scope: select order_id from {{ touched('order_fulfillment_fact') }}
-- @description: One row per order and seller (any status; an order with items from two sellers counts for both): the seller's items in it (revenue, handed to the carrier, handed over late) and the order's review, delivery and status as 0/1 counts and sums. What seller_totals adds up: a count of rows is a count of orders, so a batch adds its own orders' change to a seller instead of counting the seller's items again.
-- @test: range(delivered_orders between 0 and 1)

with items as (

    select * from {{ ref('orders_fact') }}

),

sellers as (

    select * from {{ ref('sellers_dim') }}

),

orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

-- each item with its seller's natural key (the fact points to the version valid at the purchase)
seller_items as (

    select
        sellers.seller_id,
        items.order_id,
        count(*) as items,
        coalesce(sum(items.item_total) filter (where items.is_revenue), 0) as gmv,
        -- late shipping: handed to the carrier after the item's deadline, among items handed over
        count(*) filter (where items.delivered_carrier_at is not null) as shipped_items,
        count(*) filter (where items.delivered_carrier_at > items.shipping_limit_date) as late_shipped_items
    from items
    inner join sellers
        on sellers.seller_key = items.seller_key
    group by sellers.seller_id, items.order_id

),

final as (

    select
        -- the order and the seller
        seller_items.order_id,
        seller_items.seller_id,

        -- the seller's items in the order
        seller_items.items::int as items,
        seller_items.gmv::numeric(14,2) as gmv,
        seller_items.shipped_items::int as shipped_items,
        seller_items.late_shipped_items::int as late_shipped_items,

        -- the order's review, delivery and status, shared by all its sellers: sums and 0/1 counts,
        -- so that the seller's averages and rates are exact (delivery days at 24 decimals, which
        -- holds the quotient of any whole number of seconds by 86,400 exactly as the average did)
        coalesce(orders.review_score, 0) as review_score_sum,
        (orders.review_score is not null)::int as reviews,
        orders.is_delivered::int as delivered_orders,
        coalesce(orders.is_delivered and not orders.is_late, false)::int as on_time_orders,
        (case when orders.is_delivered then coalesce(extract(epoch from (orders.delivered_customer_at - orders.purchased_at)) / 86400, 0) else 0 end)::numeric(40,24) as delivery_days_sum,
        (orders.is_delivered and orders.delivered_customer_at is not null)::int as delivery_days_count,
        (orders.order_status = 'canceled')::int as canceled_orders

    from seller_items
    inner join orders
        on orders.order_id = seller_items.order_id

)

select * from final

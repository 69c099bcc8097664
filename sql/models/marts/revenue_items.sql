-- @primary_key: order_id, order_item_id
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ changes('orders_fact', 'order_item_id', 'purchased_at', 'purchase_date_key', 'purchase_hour', 'part_of_day', 'product_key', 'price', 'freight_value', 'item_total', 'is_revenue') }}
-- @incremental_scope: select o.order_id from {{ ref('orders_fact') }} o join {{ ref('products_dim') }} p using (product_key) where p.product_id in (select product_id from {{ touched('products_dim') }})
-- @description: One row per revenue item (items of orders not canceled/unavailable) with its purchase day, month, weekday and hour, its product's category at the time of the sale, its price, freight and total, and 0/1 flags on one item per order, per order and category, and per order and category name. What the day, month, weekday-hour and category totals add up: the flags turn the distinct orders of a day, a month's category or a category into sums, so a batch adds its own orders' change to them.

with orders_fact as (

    select * from {{ ref('orders_fact') }}

),

products as (

    select * from {{ ref('products_dim') }}

),

calendar as (

    select * from {{ ref('time_dim') }}

),

-- the fact's product_key is the version valid at the purchase: its category is the one of the time
items as (

    select
        orders_fact.order_id,
        orders_fact.order_item_id,
        orders_fact.purchased_at::date as day,
        date_trunc('month', orders_fact.purchased_at)::date as month,
        calendar.day_of_week as purchase_day_of_week,
        orders_fact.purchase_hour,
        orders_fact.part_of_day,
        products.product_id,
        products.category_name,
        products.category_name_en,
        -- a product missing from the catalog (the gate fails on it) keeps its revenue, as 'unknown'
        coalesce(products.category_name_en, 'unknown') as category,
        orders_fact.price,
        orders_fact.freight_value,
        orders_fact.item_total
    from orders_fact
    left join products
        on products.product_key = orders_fact.product_key
    left join calendar
        on calendar.date_key = orders_fact.purchase_date_key
    where orders_fact.is_revenue

),

final as (

    select
        -- the item
        order_id,
        order_item_id,

        -- when and what
        day,
        month,
        purchase_day_of_week,
        purchase_hour,
        part_of_day,
        product_id,
        category_name,
        category_name_en,
        category,

        -- money (BRL)
        price,
        freight_value,
        item_total,

        -- one item of each order, of each (order, category) and (order, category name) counts 1:
        -- windows over the order's own items, which the feed's filter on the order reaches
        (row_number() over (partition by order_id order by order_item_id) = 1)::int as first_of_order,
        (row_number() over (partition by order_id, category order by order_item_id) = 1)::int as first_in_category,
        (row_number() over (partition by order_id, category_name order by order_item_id) = 1)::int as first_in_category_name

    from items

)

select * from final

-- @primary_key: category_name
-- @incremental: category_name
-- @incremental_scope: select p.category_name from {{ ref('orders_fact') }} i join {{ ref('products_dim') }} p using (product_key) where i.order_id in (select order_id from {{ touched('orders_fact') }})
-- @incremental_scope: select category_name from {{ ref('products_dim') }} where product_id in (select product_id from {{ touched('products_dim') }})
-- @incremental_scope: select category_name from {{ ref('products_dim') }} where product_id in (select product_id from {{ changed('products') }})
-- @description: Revenue by product category at the time of the sale (point in time: a product that got its category later counts as 'unknown' before): products, orders, items and GMV (items of orders not canceled/unavailable).
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=revenue_by_category.reconcile.gmv desc="Revenue by category (point in time) adds up to the total revenue."

with items as (

    select * from {{ ref('orders_fact') }}

),

products as (

    select * from {{ ref('products_dim') }}

),

-- the fact's product_key is the version valid at the purchase: its category is the one of the time
revenue_items as (

    select
        products.category_name,
        products.category_name_en,
        products.product_id,
        items.order_id,
        items.item_total
    from items
    inner join products
        on products.product_key = items.product_key
    where items.is_revenue

),

-- products and orders per category, counted from the distinct (category, product) and (category,
-- order) pairs: hashing them costs a fraction of count(distinct), which sorts every item with all
-- its columns
products_per_category as (

    select
        category_name,
        count(*) as products
    from (select distinct category_name, product_id from revenue_items) as pairs
    group by category_name

),

orders_per_category as (

    select
        category_name,
        count(*) as orders
    from (select distinct category_name, order_id from revenue_items) as pairs
    group by category_name

),

items_per_category as (

    select
        category_name,
        min(category_name_en) as category_name_en,
        count(*) as items,
        sum(item_total) as gmv
    from revenue_items
    group by category_name

),

final as (

    select
        -- category at the time of the sale
        items_per_category.category_name,
        items_per_category.category_name_en,

        -- volumes
        products_per_category.products::int as products,
        orders_per_category.orders::int as orders,
        items_per_category.items::int as items,

        -- money (BRL)
        round(items_per_category.gmv, 2)::numeric(14,2) as gmv

    from items_per_category
    -- the counts come from the same rows, so every category is on both sides; null-safe, since a
    -- category without a name (products of no category) is a group of its own
    left join products_per_category
        on products_per_category.category_name is not distinct from items_per_category.category_name
    left join orders_per_category
        on orders_per_category.category_name is not distinct from items_per_category.category_name

)

select * from final
order by category_name

-- @primary_key: category_name
-- @incremental: category_name
-- @incremental_scope: select p.category_name from {{ ref('orders_fact') }} i join {{ ref('products_dim') }} p using (product_key) where i.order_id in (select order_id from {{ touched('orders_fact') }})
-- @incremental_scope: select category_name from {{ ref('products_dim') }} where product_id in (select product_id from {{ touched('products_dim') }})
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

final as (

    select
        -- category at the time of the sale
        category_name,
        min(category_name_en) as category_name_en,

        -- volumes
        count(distinct product_id)::int as products,
        count(distinct order_id)::int as orders,
        count(*)::int as items,

        -- money (BRL)
        round(sum(item_total), 2)::numeric(14,2) as gmv

    from revenue_items
    group by category_name

)

select * from final
order by category_name

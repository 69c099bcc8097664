-- @primary_key: category_name
-- @incremental: category_name
-- @incremental_scope: select category_name from {{ touched('category_product_totals') }}
-- @description: Revenue by product category at the time of the sale (point in time: a product that got its category later counts as 'unknown' before): products, orders, items and GMV (items of orders not canceled/unavailable). Sums of category_product_totals, one row per product sold in the category: the feed recomputes the categories whose sums a batch changed.
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=revenue_by_category.reconcile.gmv desc="Revenue by category (point in time) adds up to the total revenue."

with category_product_totals as (

    select * from {{ ref('category_product_totals') }}

),

-- one row per product sold in the category, so its products are a count of rows
final as (

    select
        -- category at the time of the sale
        category_name,
        min(category_name_en) as category_name_en,

        -- volumes
        count(*)::int as products,
        sum(orders)::int as orders,
        sum(items)::int as items,

        -- money (BRL)
        round(sum(gmv), 2)::numeric(14,2) as gmv

    from category_product_totals
    group by category_name

)

select * from final
order by category_name

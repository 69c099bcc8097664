-- @primary_key: month, category
-- @index: category
-- @incremental: month
-- @incremental_scope: select date_trunc('month', purchased_at)::date from {{ ref('orders_fact') }} where order_id in (select order_id from {{ touched('orders_fact') }})
-- @description: Revenue per purchase month and product category (English name; the Portuguese one when untranslated, 'unknown' without category): orders, items, items revenue, freight, GMV, average item price, share of the month's GMV and rank in the month.
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=category_monthly.reconcile.gmv desc="Revenue by category and month adds up to the revenue items of the sales fact."
-- @test: reconcile(sum(items) = count of ref('orders_fact') where is_revenue) name=category_monthly.reconcile.items desc="Items by category and month add up to the revenue items of the sales fact."
-- @test: range(gmv_share between 0 and 1)

with orders_fact as (

    select * from {{ ref('orders_fact') }}

),

products as (

    select * from {{ ref('products_dim') }}

),

-- revenue = items of orders that turned into a sale, in the month of purchase
revenue_items as (

    select
        date_trunc('month', orders_fact.purchased_at)::date as month,
        -- a product missing from the catalog (the gate fails on it) keeps its revenue, as 'unknown'
        coalesce(products.category_name_en, 'unknown') as category,
        orders_fact.order_id,
        orders_fact.price,
        orders_fact.freight_value
    from orders_fact
    left join products
        on products.product_key = orders_fact.product_key
    where orders_fact.is_revenue

),

monthly as (

    select
        month,
        category,
        count(distinct order_id) as orders,
        count(*) as items,
        sum(price) as items_revenue,
        sum(freight_value) as freight_revenue,
        sum(price) + sum(freight_value) as gmv
    from revenue_items
    group by month, category

),

-- shares and ranks are within the month: a month is the feed's partition, recomputed whole
ranked as (

    select
        monthly.*,
        gmv / nullif(sum(gmv) over (partition by month), 0) as share,
        rank() over (partition by month order by gmv desc, category) as rank_in_month
    from monthly

),

final as (

    select
        -- month (first day) and category
        month,
        category,

        -- volumes
        orders::int as orders,
        items::int as items,

        -- money (BRL)
        round(items_revenue, 2)::numeric(14,2) as items_revenue,
        round(freight_revenue, 2)::numeric(14,2) as freight_revenue,
        round(gmv, 2)::numeric(14,2) as gmv,
        round(items_revenue / items, 2)::numeric(14,2) as avg_item_price,

        -- position in the month (fraction 0..1; rank 1 = highest GMV)
        round(share, 4)::numeric(6,4) as gmv_share,
        rank_in_month::int as rank_in_month

    from ranked

)

select * from final
order by month, category

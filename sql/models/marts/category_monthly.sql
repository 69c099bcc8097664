-- @primary_key: month, category
-- @incremental: month
-- @incremental_scope: select month from {{ touched('category_month_totals') }}
-- @description: Revenue per purchase month and product category (English name; the Portuguese one when untranslated, 'unknown' without category): orders, items, items revenue, freight, GMV, average item price, share of the month's GMV and rank in the month. Derived from category_month_totals: the feed recomputes the months whose sums a batch changed.
-- @index: category
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=category_monthly.reconcile.gmv desc="Revenue by category and month adds up to the revenue items of the sales fact."
-- @test: reconcile(sum(items) = count of ref('orders_fact') where is_revenue) name=category_monthly.reconcile.items desc="Items by category and month add up to the revenue items of the sales fact."
-- @test: range(gmv_share between 0 and 1)

with category_month_totals as (

    select * from {{ ref('category_month_totals') }}

),

monthly as (

    select
        month,
        category,
        orders,
        items,
        items_revenue,
        freight_revenue,
        items_revenue + freight_revenue as gmv
    from category_month_totals

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

-- @primary_key: day
-- @incremental: day
-- @incremental_scope: select day from {{ touched('revenue_day_totals') }}
-- @description: Revenue per purchase day (items of orders not canceled/unavailable): orders, items, items revenue, freight, GMV, average order value. Derived from revenue_day_totals: the feed recomputes the days whose sums a batch changed.
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=daily_revenue.reconcile.gmv desc="Total revenue (GMV) of the daily report equals the revenue items of the sales fact."
-- @test: reconcile(sum(items) = count of ref('orders_fact') where is_revenue) name=daily_revenue.reconcile.items desc="Items sold in the daily report equal the revenue items of the sales fact."

with revenue_day_totals as (

    select * from {{ ref('revenue_day_totals') }}

),

final as (

    select
        -- day
        day,

        -- volumes
        orders::int as orders,
        items::int as items,

        -- money (BRL)
        round(items_revenue, 2)::numeric(14,2) as items_revenue,
        round(freight_revenue, 2)::numeric(14,2) as freight_revenue,
        round(items_revenue + freight_revenue, 2)::numeric(14,2) as gmv,
        round((items_revenue + freight_revenue) / orders, 2)::numeric(14,2) as avg_order_value

    from revenue_day_totals

)

select * from final
order by day

-- @primary_key: month
-- @incremental: month
-- @incremental_scope: select m from {{ touched('revenue_day_totals') }}, lateral (values (date_trunc('month', day)::date), ((date_trunc('month', day) + interval '1 month')::date)) v(m)
-- @description: Revenue per purchase month (first day of month) with growth of GMV vs the previous calendar month in percent. Sums of revenue_day_totals (a month's days): the feed recomputes the months whose days a batch changed, and the month after each (its growth).
-- @test: reconcile(sum(gmv) = sum(gmv) of ref('daily_revenue')) name=monthly_revenue.reconcile.gmv desc="Monthly revenue adds up to the daily revenue."

with revenue_day_totals as (

    select * from {{ ref('revenue_day_totals') }}

),

-- an order is in one day, so the orders of a month are the sum of its days'
monthly as (

    select
        month,
        sum(orders) as orders,
        sum(items) as items,
        sum(items_revenue) as items_revenue,
        sum(freight_revenue) as freight_revenue,
        sum(items_revenue) + sum(freight_revenue) as gmv
    from revenue_day_totals
    group by month

),

-- growth compares with the previous *calendar* month, not the previous row: the data has a
-- month without revenue (2016-11), and comparing Dec 2016 with Oct 2016 would be misleading.
-- No revenue in the previous month (or the first month) gives null, not a division by zero.
with_previous as (

    select
        monthly.*,
        previous.gmv as previous_gmv
    from monthly
    left join monthly as previous
        on previous.month = (monthly.month - interval '1 month')::date

),

final as (

    select
        -- month (first day)
        month,

        -- volumes
        orders::int as orders,
        items::int as items,

        -- money (BRL)
        round(items_revenue, 2)::numeric(14,2) as items_revenue,
        round(freight_revenue, 2)::numeric(14,2) as freight_revenue,
        round(gmv, 2)::numeric(14,2) as gmv,
        round(gmv / orders, 2)::numeric(14,2) as avg_order_value,

        -- growth in percent (12.34 means +12.34 %)
        round((gmv - previous_gmv) / nullif(previous_gmv, 0) * 100, 2)::numeric(14,2) as gmv_growth_pct

    from with_previous

)

select * from final
order by month

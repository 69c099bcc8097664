-- @primary_key: day
-- @incremental_additive: revenue_items
-- @description: Sums per purchase day of revenue_items: orders (one flag per order), items, items revenue and freight, with the day's month. What daily_revenue and monthly_revenue derive their GMV, averages and growth from; the feed adds a batch's change of revenue_items to the days it touched.

with revenue_items as (

    select * from {{ ref('revenue_items') }}

),

final as (

    select
        -- day
        day,
        month,

        -- sums
        sum(first_of_order)::int as orders,
        count(*)::int as items,
        sum(price)::numeric(14,2) as items_revenue,
        sum(freight_value)::numeric(14,2) as freight_revenue

    from revenue_items
    group by day, month

)

select * from final

-- @primary_key: month, category
-- @incremental_additive: revenue_items
-- @description: Sums per purchase month and category (English name, 'unknown' without category) of revenue_items: orders (one flag per order and category), items, items revenue and freight. What category_monthly derives its GMV, shares and ranks from; the feed adds a batch's change of revenue_items to the months and categories it touched.

with revenue_items as (

    select * from {{ ref('revenue_items') }}

),

final as (

    select
        -- month and category
        month,
        category,

        -- sums
        sum(first_in_category)::int as orders,
        count(*)::int as items,
        sum(price)::numeric(14,2) as items_revenue,
        sum(freight_value)::numeric(14,2) as freight_revenue

    from revenue_items
    group by month, category

)

select * from final

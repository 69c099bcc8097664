-- @primary_key: purchase_day_of_week, purchase_hour
-- @incremental_additive: revenue_items
-- @description: Revenue items per weekday and hour of purchase, with the hour's part of day, of revenue_items: orders with items (one flag per order), items and GMV. What sales_by_weekday_hour reads its sales from; the feed adds a batch's change of revenue_items to the hours it touched.

with revenue_items as (

    select * from {{ ref('revenue_items') }}

),

final as (

    select
        -- when
        purchase_day_of_week,
        purchase_hour,
        part_of_day,

        -- sums
        sum(first_of_order)::int as orders_with_items,
        count(*)::int as items,
        sum(item_total)::numeric(14,2) as gmv

    from revenue_items
    where purchase_day_of_week is not null
    group by purchase_day_of_week, purchase_hour, part_of_day

)

select * from final

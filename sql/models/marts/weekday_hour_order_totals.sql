-- @primary_key: purchase_day_of_week, purchase_hour
-- @incremental_additive: revenue_order_hours
-- @description: Revenue orders per weekday and hour of purchase, counted from revenue_order_hours. What sales_by_weekday_hour reads its orders from; the feed adds a batch's change to the hours it touched.

with revenue_order_hours as (

    select * from {{ ref('revenue_order_hours') }}

),

final as (

    select
        -- when
        purchase_day_of_week,
        purchase_hour,
        purchase_day_name,

        -- sums
        count(*)::int as orders

    from revenue_order_hours
    group by purchase_day_of_week, purchase_hour, purchase_day_name

)

select * from final

-- @primary_key: order_id
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ changes('order_fulfillment_fact', 'purchase_date_key', 'purchased_at', 'is_revenue') }}
-- @description: One row per revenue order (with or without items) with the weekday (ISO, 1 = Monday) and hour of its purchase. What weekday_hour_order_totals counts, so a batch adds its own orders' change to the hours it touched.

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

calendar as (

    select * from {{ ref('time_dim') }}

),

final as (

    select
        -- the order
        orders.order_id,

        -- when it was bought
        calendar.day_of_week as purchase_day_of_week,
        calendar.day_name as purchase_day_name,
        extract(hour from orders.purchased_at)::int as purchase_hour

    from orders
    inner join calendar
        on calendar.date_key = orders.purchase_date_key
    where orders.is_revenue

)

select * from final

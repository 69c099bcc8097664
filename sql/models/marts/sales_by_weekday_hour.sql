-- @primary_key: purchase_day_of_week, purchase_hour
-- @incremental: purchase_day_of_week
-- @incremental_scope: select t.day_of_week from {{ ref('order_fulfillment_fact') }} o join {{ ref('time_dim') }} t on t.date_key = o.purchase_date_key where o.order_id in (select order_id from {{ touched('order_fulfillment_fact') }})
-- @incremental_scope: select t.day_of_week from {{ ref('orders_fact') }} i join {{ ref('time_dim') }} t on t.date_key = i.purchase_date_key where i.order_id in (select order_id from {{ touched('orders_fact') }})
-- @description: Revenue orders and sales by weekday (ISO, 1 = Monday) and hour of purchase (local time), with the hour's part of day: orders (every revenue order), orders with items, items, GMV. Serves the weekday/hour and weekday/part-of-day questions without a pass over the facts; the feed recomputes the weekdays of the orders a batch touched.
-- @test: reconcile(sum(orders) = count of ref('order_fulfillment_fact') where is_revenue) name=sales_by_weekday_hour.reconcile.orders desc="Revenue orders by weekday and hour add up to the revenue orders of the order fact."
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=sales_by_weekday_hour.reconcile.gmv desc="GMV by weekday and hour adds up to the revenue items of the sales fact."
-- @test: reconcile(sum(items) = count of ref('orders_fact') where is_revenue) name=sales_by_weekday_hour.reconcile.items desc="Items by weekday and hour add up to the revenue items of the sales fact."
-- @test: range(purchase_hour between 0 and 23)
-- @test: range(purchase_day_of_week between 1 and 7)

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

items as (

    select * from {{ ref('orders_fact') }}

),

calendar as (

    select * from {{ ref('time_dim') }}

),

-- every revenue order, with or without items, at its weekday and hour
order_hours as (

    select
        calendar.day_of_week as purchase_day_of_week,
        calendar.day_name as purchase_day_name,
        extract(hour from orders.purchased_at)::int as purchase_hour,
        count(*) as orders
    from orders
    inner join calendar
        on calendar.date_key = orders.purchase_date_key
    where orders.is_revenue
    group by 1, 2, 3

),

-- the revenue items; the hour and its part of day as the sales fact defines them
revenue_items as (

    select
        calendar.day_of_week as purchase_day_of_week,
        items.purchase_hour,
        items.part_of_day,
        items.order_id,
        items.item_total
    from items
    inner join calendar
        on calendar.date_key = items.purchase_date_key
    where items.is_revenue

),

-- orders with items per weekday and hour, counted from the distinct (weekday, hour, order)
-- triples: hashing them costs a fraction of count(distinct), which sorts every item
orders_per_hour as (

    select
        purchase_day_of_week,
        purchase_hour,
        count(*) as orders_with_items
    from (select distinct purchase_day_of_week, purchase_hour, order_id from revenue_items) as pairs
    group by purchase_day_of_week, purchase_hour

),

item_hours as (

    select
        revenue_items.purchase_day_of_week,
        revenue_items.purchase_hour,
        revenue_items.part_of_day,
        count(*) as items,
        sum(revenue_items.item_total) as gmv
    from revenue_items
    group by 1, 2, 3

),

final as (

    select
        -- when
        order_hours.purchase_day_of_week,
        order_hours.purchase_day_name,
        order_hours.purchase_hour,
        item_hours.part_of_day,

        -- volumes
        order_hours.orders::int as orders,
        coalesce(orders_per_hour.orders_with_items, 0)::int as orders_with_items,
        coalesce(item_hours.items, 0)::int as items,

        -- money (BRL)
        coalesce(item_hours.gmv, 0)::numeric(14,2) as gmv

    from order_hours
    left join item_hours
        on item_hours.purchase_day_of_week = order_hours.purchase_day_of_week
        and item_hours.purchase_hour = order_hours.purchase_hour
    left join orders_per_hour
        on orders_per_hour.purchase_day_of_week = order_hours.purchase_day_of_week
        and orders_per_hour.purchase_hour = order_hours.purchase_hour

)

select * from final
order by purchase_day_of_week, purchase_hour

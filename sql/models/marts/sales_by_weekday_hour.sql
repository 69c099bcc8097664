-- @primary_key: purchase_day_of_week, purchase_hour
-- @incremental: purchase_day_of_week
-- @incremental_scope: select purchase_day_of_week from {{ touched('weekday_hour_order_totals') }}
-- @incremental_scope: select purchase_day_of_week from {{ touched('weekday_hour_item_totals') }}
-- @description: Revenue orders and sales by weekday (ISO, 1 = Monday) and hour of purchase (local time), with the hour's part of day: orders (every revenue order), orders with items, items, GMV. Serves the weekday/hour and weekday/part-of-day questions without a pass over the facts. Read from the order and item totals per weekday and hour: the feed recomputes the weekdays whose totals a batch changed.
-- @test: reconcile(sum(orders) = count of ref('order_fulfillment_fact') where is_revenue) name=sales_by_weekday_hour.reconcile.orders desc="Revenue orders by weekday and hour add up to the revenue orders of the order fact."
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=sales_by_weekday_hour.reconcile.gmv desc="GMV by weekday and hour adds up to the revenue items of the sales fact."
-- @test: reconcile(sum(items) = count of ref('orders_fact') where is_revenue) name=sales_by_weekday_hour.reconcile.items desc="Items by weekday and hour add up to the revenue items of the sales fact."
-- @test: range(purchase_hour between 0 and 23)
-- @test: range(purchase_day_of_week between 1 and 7)

with order_hours as (

    select * from {{ ref('weekday_hour_order_totals') }}

),

item_hours as (

    select * from {{ ref('weekday_hour_item_totals') }}

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
        coalesce(item_hours.orders_with_items, 0)::int as orders_with_items,
        coalesce(item_hours.items, 0)::int as items,

        -- money (BRL)
        coalesce(item_hours.gmv, 0)::numeric(14,2) as gmv

    from order_hours
    -- every revenue order is in an hour; an hour with only orders without items has no item row
    left join item_hours
        on item_hours.purchase_day_of_week = order_hours.purchase_day_of_week
        and item_hours.purchase_hour = order_hours.purchase_hour

)

select * from final
order by purchase_day_of_week, purchase_hour

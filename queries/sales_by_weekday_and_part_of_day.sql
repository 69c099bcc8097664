-- When do people buy? Revenue orders by day of week and part of day (madrugada 0-5h, manhã 6-11h,
-- tarde 12-17h, noite 18-23h), from the time dimension and the purchase hour.
select
    time_dim.day_of_week,
    time_dim.day_name,
    orders_fact.part_of_day,
    count(distinct orders_fact.order_id) as orders,
    sum(orders_fact.item_total)          as gmv
from warehouse.orders_fact
join warehouse.time_dim on time_dim.date_key = orders_fact.purchase_date_key
where orders_fact.is_revenue
group by time_dim.day_of_week, time_dim.day_name, orders_fact.part_of_day
order by time_dim.day_of_week, min(orders_fact.purchase_hour)

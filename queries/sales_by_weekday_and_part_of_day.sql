-- When do people buy? Revenue orders by day of week and part of day (madrugada 0-5h, manhã 6-11h,
-- tarde 12-17h, noite 18-23h), from the precomputed weekday-and-hour mart (orders with items, as
-- the sales fact counts them).
select
    purchase_day_of_week    as day_of_week,
    purchase_day_name       as day_name,
    part_of_day,
    sum(orders_with_items)  as orders,
    sum(gmv)                as gmv
from marts.sales_by_weekday_hour
where orders_with_items > 0
group by purchase_day_of_week, purchase_day_name, part_of_day
order by purchase_day_of_week, min(purchase_hour)

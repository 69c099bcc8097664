-- At which hours of which weekdays do people buy? Revenue orders by day of week (1 = Monday) and
-- hour of purchase (local time), from the order-level view.
select
    purchase_day_of_week,
    purchase_day_name,
    purchase_hour,
    count(*)         as orders,
    sum(order_value) as gmv
from marts.v_orders
where is_revenue
group by purchase_day_of_week, purchase_day_name, purchase_hour
order by purchase_day_of_week, purchase_hour

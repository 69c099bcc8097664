-- At which hours of which weekdays do people buy? Revenue orders by day of week (1 = Monday) and
-- hour of purchase (local time), from the precomputed weekday-and-hour mart.
select
    purchase_day_of_week,
    purchase_day_name,
    purchase_hour,
    orders,
    gmv
from marts.sales_by_weekday_hour
order by purchase_day_of_week, purchase_hour

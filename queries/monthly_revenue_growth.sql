-- Is the business growing? GMV, orders and average order value per month, with growth against the
-- previous calendar month.
select
    month,
    orders,
    gmv,
    avg_order_value,
    gmv_growth_pct
from marts.monthly_revenue
order by month

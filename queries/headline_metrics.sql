-- What are the headline numbers? Orders, items and GMV with revenue, average order value, the date range, delivered orders, average delivery days and late rate (printed at the end of `olist run`).
with revenue as (
    select sum(orders) as orders, sum(items) as items, sum(gmv) as gmv,
           min(day) as first_day, max(day) as last_day
    from marts.daily_revenue
),
delivery as (
    select sum(delivered_orders) as delivered_orders,
           round(sum(avg_delivery_days * delivered_orders) / nullif(sum(delivered_orders), 0), 2) as avg_delivery_days,
           round(sum(late_orders)::numeric / nullif(sum(delivered_orders), 0), 4) as late_rate
    from marts.delivery_times_monthly
)
select revenue.orders        as revenue_orders,
       revenue.items         as revenue_items,
       revenue.gmv           as gmv,
       round(revenue.gmv / nullif(revenue.orders, 0), 2) as avg_order_value,
       revenue.first_day,
       revenue.last_day,
       delivery.delivered_orders,
       delivery.avg_delivery_days,
       delivery.late_rate
from revenue, delivery

-- Which shipping routes (seller state to customer state) are late most often? Routes with at least
-- 20 delivered orders, by late rate, with their average delivery days.
select
    seller_state,
    customer_state,
    delivered_orders,
    late_orders,
    late_rate,
    avg_delivery_days
from marts.routes
where delivered_orders >= 20
order by late_rate desc, seller_state, customer_state
limit 20

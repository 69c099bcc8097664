-- Which customer states get their orders late? Delivered orders, late orders (delivered on a later
-- day than promised) and late rate by customer state, worst first.
select
    state,
    region,
    delivered_orders,
    late_orders,
    late_rate,
    avg_delivery_days
from marts.delivery_times_by_state
order by late_rate desc, state

-- How many people buy more than once? customer_id is issued per order, so people are counted by
-- customer_unique_id (the trap of this dataset: counting customer_id finds no repeat buyer at all).
with orders_per_person as (
    select customers.customer_unique_id, count(*) as orders
    from warehouse.order_fulfillment_fact as orders
    join warehouse.customers_dim as customers using (customer_key)
    group by customers.customer_unique_id
)
select
    count(*)                                              as people,
    count(*) filter (where orders > 1)                    as repeat_buyers,
    round(100.0 * count(*) filter (where orders > 1) / count(*), 2) as repeat_rate_pct,
    max(orders)                                           as most_orders_by_one_person
from orders_per_person

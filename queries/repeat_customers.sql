-- How many people buy more than once? customer_id is issued per order, so people are counted by
-- customer_unique_id (the trap of this dataset: counting customer_id finds no repeat buyer at all),
-- from the precomputed mart of orders per person.
select
    count(*)                                              as people,
    count(*) filter (where orders > 1)                    as repeat_buyers,
    round(100.0 * count(*) filter (where orders > 1) / count(*), 2) as repeat_rate_pct,
    max(orders)::bigint                                   as most_orders_by_one_person
from marts.orders_per_person

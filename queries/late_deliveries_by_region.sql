-- Where are deliveries late? Share of delivered orders that arrived after the promised day, and
-- the average review score of late vs on-time orders, by Brazilian macro-region of the customer.
select
    customers.region,
    count(*)                                                          as delivered_orders,
    round(100.0 * count(*) filter (where orders.is_late) / count(*), 1) as late_pct,
    round(avg(orders.review_score) filter (where orders.is_late), 2)      as avg_score_late,
    round(avg(orders.review_score) filter (where not orders.is_late), 2)  as avg_score_on_time
from warehouse.order_fulfillment_fact as orders
join warehouse.customers_dim as customers using (customer_key)
where orders.is_delivered
group by customers.region
order by late_pct desc

-- Which product categories bring the most revenue, and how much freight they cost the customer?
-- Revenue = items of orders not canceled/unavailable (is_revenue), in BRL. English category names,
-- 'unknown' for products without a category. From the monthly category mart: an order falls in one
-- month, so its orders add up over months.
select
    category,
    sum(orders)                                           as orders,
    sum(items)                                            as items,
    sum(items_revenue)                                    as items_revenue,
    round(100 * sum(freight_revenue) / sum(items_revenue), 1) as freight_pct_of_price
from marts.category_monthly
group by category
order by items_revenue desc
limit 15

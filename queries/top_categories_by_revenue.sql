-- Which product categories bring the most revenue, and how much freight they cost the customer?
-- Revenue = items of orders not canceled/unavailable (is_revenue), in BRL. English category names,
-- 'unknown' for products without a category.
select
    products.category_name_en                                    as category,
    count(distinct orders_fact.order_id)                         as orders,
    count(*)                                                     as items,
    sum(orders_fact.price)                                       as items_revenue,
    round(100 * sum(orders_fact.freight_value) / sum(orders_fact.price), 1) as freight_pct_of_price
from warehouse.orders_fact
join warehouse.products_dim as products using (product_key)
where orders_fact.is_revenue
group by products.category_name_en
order by items_revenue desc
limit 15

-- Who are our customers? People (customer_unique_id) by RFM segment: how many, how recent their
-- last purchase, how many orders and how much they spent on average.
select
    segment,
    count(*)                       as customers,
    round(avg(orders), 2)          as avg_orders,
    round(avg(monetary), 2)        as avg_monetary,
    sum(monetary)                  as monetary,
    max(last_purchase_at)::date    as latest_purchase
from marts.customer_rfm
group by segment
order by monetary desc

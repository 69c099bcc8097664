-- Which categories bring the most revenue each month? The three categories with the highest GMV
-- (items + freight of orders not canceled/unavailable) in every purchase month, with their share of
-- the month. English category names.
select
    month,
    rank_in_month,
    category,
    orders,
    gmv,
    gmv_share
from marts.category_monthly
where rank_in_month <= 3
order by month, rank_in_month

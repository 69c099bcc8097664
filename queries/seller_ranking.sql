-- Who are the best sellers among those with real volume? Sellers with at least 30 orders, ranked
-- by GMV, with their on-time delivery rate and average review score (a seller with 3 orders and a
-- perfect score is luck, not performance).
select
    rank() over (order by gmv desc, seller_id) as rank,
    seller_id,
    seller_state,
    orders,
    gmv,
    on_time_rate,
    avg_review_score
from marts.seller_performance
where orders >= 30
order by rank
limit 20

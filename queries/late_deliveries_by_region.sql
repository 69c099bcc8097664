-- Where are deliveries late? Share of delivered orders that arrived after the promised day, and
-- the average review score of late vs on-time orders, by Brazilian macro-region of the customer,
-- from the precomputed region mart.
select
    region,
    delivered_with_date_orders                                              as delivered_orders,
    round(100.0 * late_orders / delivered_with_date_orders, 1)              as late_pct,
    round(late_review_score_sum::numeric / nullif(late_reviews, 0), 2)       as avg_score_late,
    round(on_time_review_score_sum::numeric / nullif(on_time_reviews, 0), 2) as avg_score_on_time
from marts.orders_by_region
where delivered_with_date_orders > 0
order by late_pct desc

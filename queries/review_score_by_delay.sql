-- Does a late delivery cost us the review? Average review score and share of 1-2 star reviews by
-- how many days after (or before) the promised day the order arrived.
select
    delay_bucket,
    reviews,
    avg_score,
    low_score_rate,
    five_star_rate
from marts.review_delay
order by bucket_order

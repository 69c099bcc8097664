-- @primary_key: delay_days
-- @incremental_additive: delivered_orders
-- @description: Histogram of the reviewed delivered orders by delay in calendar days (delivered day minus promised day): reviews, their scores (count and sum), low (1-2) and five-star scores, and the fact's delivery days as a sum. A row exists while some reviewed order has that delay, so the smallest and largest delay of a bucket are those of its rows. What review_delay derives its buckets from; the feed adds a batch's change of delivered_orders to the delays it touched.

with delivered_orders as (

    select * from {{ ref('delivered_orders') }}

),

reviewed as (

    select * from delivered_orders
    where reviews = 1

),

final as (

    select
        -- delay in calendar days (0 = on the promised day, negative = early)
        delay_calendar_days as delay_days,

        -- sums
        count(*)::int as reviews,
        count(review_score)::int as scores,
        coalesce(sum(review_score), 0)::int as score_sum,
        count(*) filter (where review_score <= 2)::int as low_scores,
        count(*) filter (where review_score = 5)::int as five_stars,
        coalesce(sum(rounded_delivery_days), 0) as delivery_days_sum

    from reviewed
    group by delay_calendar_days

)

select * from final

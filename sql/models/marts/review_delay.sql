-- @primary_key: delay_bucket
-- @description: Review score against delivery delay (delivered calendar day minus promised day) over delivered orders with a review: reviews, average score, share of 1-2 and of 5 stars, average delivery days. Derived from review_delay_totals, one row per delay in days: the feed recomputes the eight buckets whole from its hundred or so rows.
-- @test: reconcile(sum(reviews) = count of ref('order_fulfillment_fact') where is_delivered and has_review) name=review_delay.reconcile.reviews desc="Reviews by delay bucket add up to the reviewed delivered orders."
-- @test: range(avg_score between 1 and 5)
-- @test: range(low_score_rate between 0 and 1)

with review_delay_totals as (

    select * from {{ ref('review_delay_totals') }}

),

bucketed as (

    select
        case
            when delay_days <= -10 then 1
            when delay_days <= -5 then 2
            when delay_days <= -1 then 3
            when delay_days = 0 then 4
            when delay_days <= 3 then 5
            when delay_days <= 7 then 6
            when delay_days <= 14 then 7
            else 8
        end as bucket_order,
        review_delay_totals.*
    from review_delay_totals

),

-- the averages are the sums over the counts, as avg() computes them
aggregated as (

    select
        bucket_order,
        sum(reviews) as reviews,
        min(delay_days) as min_delay_days,
        max(delay_days) as max_delay_days,
        sum(score_sum)::numeric / nullif(sum(scores), 0) as avg_score,
        sum(low_scores) as low_scores,
        sum(five_stars) as five_stars,
        sum(delivery_days_sum) / sum(reviews) as avg_delivery_days
    from bucketed
    group by bucket_order

),

final as (

    select
        -- bucket of the delay, in days after the promised day
        (array['early 10+ days', 'early 5-9 days', 'early 1-4 days', 'on the day',
               'late 1-3 days', 'late 4-7 days', 'late 8-14 days', 'late 15+ days'])[bucket_order] as delay_bucket,
        bucket_order,
        bucket_order >= 5 as is_late,
        min_delay_days::int as min_delay_days,
        max_delay_days::int as max_delay_days,

        -- satisfaction
        reviews::int as reviews,
        round(avg_score, 2)::numeric(4,2) as avg_score,
        round(low_scores::numeric / reviews, 4)::numeric(6,4) as low_score_rate,
        round(five_stars::numeric / reviews, 4)::numeric(6,4) as five_star_rate,

        -- delivery
        round(avg_delivery_days, 2)::numeric(10,2) as avg_delivery_days

    from aggregated

)

select * from final
order by bucket_order

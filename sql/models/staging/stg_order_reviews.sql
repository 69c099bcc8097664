-- @primary_key: review_id, order_id
-- @index: order_id
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ changed('order_reviews') }}
-- @description: One row per (review_id, order_id) after removing exact duplicates; is_kept_for_order marks the one review per order used by metrics.
-- @test: reconcile(count = count(distinct (review_id, order_id)) of source('order_reviews')) name=stg_order_reviews.reconcile.raw desc="Staging keeps exactly one row per distinct (review, order) pair of the loaded reviews."
-- @test: range(review_score between 1 and 5)
-- @test: unique(order_id) name=stg_order_reviews.one_kept_review_per_order desc="Metrics use at most one review per order." where is_kept_for_order
-- @test: unique(order_id) severity=warn name=stg_order_reviews.orders_with_several_reviews desc="Each order has a single review (orders with several: metrics keep the latest)."
-- @test: unique(review_id) severity=warn name=stg_order_reviews.reviews_on_several_orders desc="Each review covers a single order (one survey can cover several orders of a purchase)."
-- @test: not_null(review_creation_date, review_answer_timestamp) severity=warn name=stg_order_reviews.missing_date desc="Reviews have their creation and answer dates."

with reviews as (

    select * from {{ source('order_reviews') }}

),

-- the natural key is (review_id, order_id): one survey can cover several orders and an order
-- can receive several surveys. Rows repeating the same pair are collapsed to one, keeping the
-- most complete/recent copy (then the first line of the file, for determinism).
deduplicated as (

    select
        *,
        row_number() over (
            partition by review_id, order_id
            order by review_answer_timestamp desc nulls last,
                     review_creation_date desc nulls last,
                     _line
        ) as copy_rank
    from reviews

),

-- metrics need at most one score per order: the latest answer is the customer's final word;
-- then the latest survey sent; then the highest review_id as an arbitrary but stable tiebreak.
ranked as (

    select
        *,
        row_number() over (
            partition by order_id
            order by review_answer_timestamp desc nulls last,
                     review_creation_date desc nulls last,
                     review_id desc
        ) as order_review_rank,
        count(*) over (partition by order_id)::int as reviews_for_order
    from deduplicated
    where copy_rank = 1

),

final as (

    select
        -- ids
        review_id,
        order_id,

        -- attributes
        review_score,
        nullif(trim(review_comment_title), '') as review_comment_title,
        nullif(trim(review_comment_message), '') as review_comment_message,
        (nullif(trim(review_comment_message), '') is not null
            or nullif(trim(review_comment_title), '') is not null) as has_comment,

        -- timestamps (a few are missing in this export; kept null, never invented)
        review_creation_date,
        review_answer_timestamp,

        -- flags
        order_review_rank = 1 as is_kept_for_order,
        reviews_for_order,

        -- lineage
        _line as source_line

    from ranked

)

select * from final

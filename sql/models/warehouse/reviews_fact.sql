-- @primary_key: review_key
-- @unique: review_id, order_id
-- @references: customer_key -> customers_dim(customer_key)
-- @references: purchase_date_key -> time_dim(date_key)
-- @references: review_creation_date_key -> time_dim(date_key)
-- @index: order_id
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ touched('stg_order_reviews') }}
-- @incremental_scope: select order_id from {{ touched('stg_orders') }}
-- @incremental_scope: select order_id from {{ ref('stg_orders') }} where customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @description: Review fact, grain one (review, order) pair after de-duplication; is_kept_for_order marks the one review per order used by metrics.
-- @test: reconcile(count = ref('stg_order_reviews')) name=reviews_fact.reconcile.staging desc="Every staged review is in the review fact."

with reviews as (

    select * from {{ ref('stg_order_reviews') }}

),

orders as (

    select * from {{ ref('stg_orders') }}

),

time_dim as (

    select * from {{ ref('time_dim') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

final as (

    select
        -- keys
        {{ surrogate_key('reviews.review_id', 'reviews.order_id') }} as review_key,
        customers.customer_key,
        purchase_day.date_key as purchase_date_key,
        -- null for the few reviews without a creation date in the source
        to_char(reviews.review_creation_date, 'YYYYMMDD')::int as review_creation_date_key,

        -- degenerate dimensions
        reviews.review_id,
        reviews.order_id,
        orders.order_status,

        -- measures
        reviews.review_score,
        reviews.has_comment,

        -- timestamps
        reviews.review_creation_date,
        reviews.review_answer_timestamp,
        -- hours the customer took to answer the survey
        round(extract(epoch from (reviews.review_answer_timestamp - reviews.review_creation_date)) / 3600, 2)::numeric(10,2) as answer_hours,

        -- flags
        reviews.is_kept_for_order,
        reviews.reviews_for_order

    from reviews
    inner join orders
        on orders.order_id = reviews.order_id
    -- left joins: a key missing from a dimension (the source declares these foreign keys but
    -- nothing enforces them at ingest) leaves the key null instead of silently dropping revenue
    left join customers
        on customers.customer_id = orders.customer_id
    -- the date dimension covers every date of the data, so the inner join loses nothing
    inner join time_dim as purchase_day
        on purchase_day.date = orders.purchased_at::date

)

select * from final

-- @primary_key: order_key
-- @unique: order_id
-- @references: customer_key -> customers_dim(customer_key)
-- @references: person_key -> people_dim(person_key)
-- @references: purchase_date_key -> time_dim(date_key)
-- @references: approved_date_key -> time_dim(date_key)
-- @references: delivered_carrier_date_key -> time_dim(date_key)
-- @references: delivered_customer_date_key -> time_dim(date_key)
-- @references: estimated_delivery_date_key -> time_dim(date_key)
-- @index: customer_key
-- @index: person_key
-- @index: purchase_date_key
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ touched('stg_orders') }}
-- @incremental_scope: select order_id from {{ touched('stg_order_items') }}
-- @incremental_scope: select order_id from {{ touched('stg_order_payments') }}
-- @incremental_scope: select order_id from {{ touched('stg_order_reviews') }}
-- @incremental_scope: select order_id from {{ ref('stg_orders') }} where customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @incremental_scope: select o.order_id from {{ ref('stg_orders') }} o join {{ ref('stg_customers') }} c on c.customer_id = o.customer_id where c.customer_unique_id in (select customer_unique_id from {{ touched('people_dim') }})
-- @description: Accumulating snapshot, grain one order (all orders, with or without items): lifecycle milestones, order totals, kept review score, delivery durations and data-quality flags.
-- @test: reconcile(count = ref('stg_orders')) name=order_fulfillment_fact.reconcile.orders desc="Every staged order is in the order fact exactly once."
-- @test: reconcile(sum(order_value) = sum(item_total) of ref('stg_order_items') by order_id) name=order_fulfillment_fact.reconcile.order_totals desc="Each order's total equals the sum of its items (price + freight)."
-- @test: not_null(customer_key, person_key) desc="Every order points to its customer and the person's address period."
-- @test: point_in_time(person_key -> people_dim at purchased_at) name=order_fulfillment_fact.person_version_at_purchase desc="Every order points to the person's address period valid at its purchase time."
-- @test: range(review_score between 1 and 5)
-- @test: expression(abs(payment_value - order_value) <= 0.01) severity=warn name=order_fulfillment_fact.payments_match_items desc="What the customer paid equals the items plus freight, within 1 cent (interest and vouchers make them differ)." where has_items and has_payments
-- @test: expression(has_payments) severity=warn name=order_fulfillment_fact.without_payment desc="Every order has a payment."
-- @test: expression(has_items) severity=warn name=order_fulfillment_fact.sale_without_items desc="Orders counted as sales (not canceled or unavailable) have items." where is_revenue

with orders as (

    select * from {{ ref('stg_orders') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

payments as (

    select * from {{ ref('stg_order_payments') }}

),

reviews as (

    select * from {{ ref('stg_order_reviews') }}

),

time_dim as (

    select * from {{ ref('time_dim') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

people as (

    select * from {{ ref('people_dim') }}

),

-- one row per order for each child table, aggregated before joining to avoid fan-out
items_per_order as (

    select
        order_id,
        count(*)::int as items,
        count(distinct seller_id)::int as distinct_sellers,
        sum(price) as item_value,
        sum(freight_value) as freight_value,
        -- the carrier date is per order, so the order ships late if it is after the earliest item deadline
        min(shipping_limit_date) as shipping_limit_date
    from order_items
    group by order_id

),

payments_per_order as (

    select
        order_id,
        count(*)::int as payments,
        sum(payment_value) as payment_value
    from payments
    group by order_id

),

kept_review as (

    select order_id, review_id, review_score, reviews_for_order
    from reviews
    where is_kept_for_order

),

durations as (

    select
        orders.*,
        -- surrogate key derived from the natural key, so a full build and an incremental one agree
        -- (computed here rather than joined from its own step: a self-join of every order)
        {{ surrogate_key('orders.order_id') }} as order_key,
        -- exact durations in days (timestamps have whole seconds); only when both ends exist
        extract(epoch from (delivered_customer_at - purchased_at)) / 86400 as delivery_days_exact,
        extract(epoch from (estimated_delivery_at - purchased_at)) / 86400 as estimated_days_exact,
        extract(epoch from (delivered_customer_at - estimated_delivery_at)) / 86400 as delay_days_exact,
        extract(epoch from (approved_at - purchased_at)) / 3600 as approval_hours_exact,
        extract(epoch from (delivered_carrier_at - purchased_at)) / 86400 as carrier_days_exact
    from orders

),

final as (

    select
        -- keys
        durations.order_key,
        durations.order_id,
        customers.customer_key,
        -- the person's address period at the purchase (point in time)
        people.person_key,
        -- time_dim in its roles: one join per milestone (null when the milestone has not happened)
        purchase_day.date_key as purchase_date_key,
        approved_day.date_key as approved_date_key,
        carrier_day.date_key as delivered_carrier_date_key,
        delivered_day.date_key as delivered_customer_date_key,
        estimated_day.date_key as estimated_delivery_date_key,

        -- status at extraction time
        durations.order_status,

        -- milestones
        durations.purchased_at,
        durations.approved_at,
        durations.delivered_carrier_at,
        durations.delivered_customer_at,
        durations.estimated_delivery_at,
        items_per_order.shipping_limit_date,

        -- order totals (BRL); zero, not null, for the orders without items/payments so sums add up
        coalesce(items_per_order.items, 0) as items,
        coalesce(items_per_order.distinct_sellers, 0) as sellers,
        coalesce(items_per_order.item_value, 0)::numeric(14,2) as item_value,
        coalesce(items_per_order.freight_value, 0)::numeric(14,2) as freight_value,
        round(coalesce(items_per_order.item_value, 0) + coalesce(items_per_order.freight_value, 0), 2)::numeric(14,2) as order_value,
        coalesce(payments_per_order.payments, 0) as payments,
        coalesce(payments_per_order.payment_value, 0)::numeric(14,2) as payment_value,

        -- satisfaction: the one review kept per order (null when none)
        kept_review.review_id,
        kept_review.review_score,
        coalesce(kept_review.reviews_for_order, 0)::int as reviews,

        -- durations (fractional days, 4 decimals; marts round to 2)
        round(durations.approval_hours_exact, 4)::numeric(12,4) as approval_hours,
        round(durations.carrier_days_exact, 4)::numeric(12,4) as carrier_days,
        round(durations.delivery_days_exact, 4)::numeric(12,4) as delivery_days,
        round(durations.estimated_days_exact, 4)::numeric(12,4) as estimated_days,
        -- negative when delivered before the estimate
        round(durations.delay_days_exact, 4)::numeric(12,4) as delay_days,
        -- late = delivered on a later calendar day than promised; null when not delivered
        durations.delivered_customer_at::date > durations.estimated_delivery_at::date as is_late,

        -- seller handed the order to the carrier after the (earliest) item deadline; null when not shipped
        durations.delivered_carrier_at > items_per_order.shipping_limit_date as is_shipped_late,

        -- flags
        durations.order_status not in ('canceled', 'unavailable') as is_revenue,
        -- usable for delivery-time metrics: delivered status and a delivery date
        (durations.order_status = 'delivered' and durations.delivered_customer_at is not null) as is_delivered,
        items_per_order.order_id is not null as has_items,
        payments_per_order.order_id is not null as has_payments,
        kept_review.order_id is not null as has_review,
        durations.is_delivered_without_date,
        durations.has_delivery_date_not_delivered,
        durations.has_timestamps_out_of_order,
        durations.is_approved_before_purchase,
        durations.is_carrier_before_approval,
        durations.is_carrier_before_purchase,
        durations.is_delivered_before_carrier,
        durations.is_delivered_before_purchase

    from durations
    -- left joins: a key missing from a dimension (the source declares these foreign keys but
    -- nothing enforces them at ingest) leaves the key null instead of silently dropping revenue
    left join customers
        on customers.customer_id = durations.customer_id
    left join people
        on people.customer_unique_id = customers.customer_unique_id
        and durations.purchased_at >= people.valid_from
        and (durations.purchased_at < people.valid_to or people.valid_to is null)
    left join items_per_order
        on items_per_order.order_id = durations.order_id
    left join payments_per_order
        on payments_per_order.order_id = durations.order_id
    left join kept_review
        on kept_review.order_id = durations.order_id
    -- the date dimension covers every date of the data, so the inner join loses nothing
    inner join time_dim as purchase_day
        on purchase_day.date = durations.purchased_at::date
    left join time_dim as approved_day
        on approved_day.date = durations.approved_at::date
    left join time_dim as carrier_day
        on carrier_day.date = durations.delivered_carrier_at::date
    left join time_dim as delivered_day
        on delivered_day.date = durations.delivered_customer_at::date
    left join time_dim as estimated_day
        on estimated_day.date = durations.estimated_delivery_at::date

)

select * from final

-- @primary_key: region
-- @incremental_additive: orders_per_person_state
-- @description: Orders of any status, delivered and canceled orders, distinct customers (people) and GMV by customer macro-region; orders delivered with a date, late ones, and the review scores (sum and count) of late and on-time deliveries. Sums of orders_per_person_state: the feed adds a batch's change there to the regions it touched.
-- @test: reconcile(sum(late_orders) = count of ref('order_fulfillment_fact') where is_delivered and is_late) name=orders_by_region.reconcile.late desc="Late deliveries by region add up to the late deliveries of the order fact."
-- @test: reconcile(sum(delivered_with_date_orders) = count of ref('order_fulfillment_fact') where is_delivered) name=orders_by_region.reconcile.delivered desc="Deliveries by region add up to the orders delivered with a date."
-- @test: reconcile(sum(orders) = sum(orders) of ref('orders_by_state')) name=orders_by_region.reconcile.orders desc="Orders by region add up to orders by state."

with person_states as (

    select * from {{ ref('orders_per_person_state') }}

),

-- one row per person and state: a person who ordered to two states of a region counts once there
-- (first_in_region), not once per state
final as (

    select
        -- geography
        region,

        -- volumes
        sum(orders)::int as orders,
        sum(delivered_orders)::int as delivered_orders,
        sum(canceled_orders)::int as canceled_orders,
        sum(first_in_region)::int as customers,

        -- delivery (orders delivered with a delivery date; late = after the promised day) and the
        -- review scores of late and on-time ones, as sums and counts so that averages stay exact
        sum(delivered_with_date_orders)::int as delivered_with_date_orders,
        sum(late_orders)::int as late_orders,
        sum(late_reviews)::int as late_reviews,
        sum(late_review_score_sum)::int as late_review_score_sum,
        sum(on_time_reviews)::int as on_time_reviews,
        sum(on_time_review_score_sum)::int as on_time_review_score_sum,

        -- money
        sum(gmv)::numeric(14,2) as gmv

    from person_states
    group by region

)

select * from final
order by region

-- @primary_key: customer_unique_id, state
-- @incremental: customer_unique_id
-- @incremental_scope: select c.customer_unique_id from {{ ref('order_fulfillment_fact') }} o join {{ ref('customers_dim') }} c using (customer_key) where o.order_id in (select order_id from {{ touched('order_fulfillment_fact') }})
-- @incremental_scope: select customer_unique_id from {{ ref('customers_dim') }} where customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @description: One row per person (customer_unique_id) and state they ordered to: their orders there (any status, delivered, canceled, delivered with a date, late), the review scores of late and on-time deliveries as sums and counts, GMV, and whether the row is the person's first state in its region. What orders_by_state and orders_by_region add up: a count of rows is a count of people, so a batch adds its own people's change to a state instead of counting the state's orders again.
-- @test: range(first_in_region between 0 and 1)

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

-- each order with its customer's state and region and the person behind the order-level customer id
person_orders as (

    select
        customers.customer_unique_id,
        customers.state,
        customers.region,
        orders.order_status,
        orders.is_revenue,
        orders.is_delivered,
        orders.is_late,
        orders.review_score,
        orders.order_value
    from orders
    inner join customers
        on customers.customer_key = orders.customer_key

),

per_person_state as (

    select
        customer_unique_id,
        state,
        region,
        count(*) as orders,
        count(*) filter (where order_status = 'delivered') as delivered_orders,
        count(*) filter (where order_status = 'canceled') as canceled_orders,
        count(*) filter (where is_delivered) as delivered_with_date_orders,
        count(*) filter (where is_delivered and is_late) as late_orders,
        count(review_score) filter (where is_delivered and is_late) as late_reviews,
        coalesce(sum(review_score) filter (where is_delivered and is_late), 0) as late_review_score_sum,
        count(review_score) filter (where is_delivered and not is_late) as on_time_reviews,
        coalesce(sum(review_score) filter (where is_delivered and not is_late), 0) as on_time_review_score_sum,
        coalesce(sum(order_value) filter (where is_revenue), 0) as gmv
    from person_orders
    group by customer_unique_id, state, region

),

final as (

    select
        -- the person and where they ordered to
        customer_unique_id,
        state,
        region,
        -- 1 on one row per person and region: a person who ordered to two states of a region counts
        -- once there (a window over the person's own rows, which the feed's filter on the person reaches)
        (row_number() over (partition by customer_unique_id, region order by state) = 1)::int as first_in_region,

        -- volumes
        orders::int as orders,
        delivered_orders::int as delivered_orders,
        canceled_orders::int as canceled_orders,

        -- delivery and the review scores of late and on-time deliveries (sums and counts)
        delivered_with_date_orders::int as delivered_with_date_orders,
        late_orders::int as late_orders,
        late_reviews::int as late_reviews,
        late_review_score_sum::int as late_review_score_sum,
        on_time_reviews::int as on_time_reviews,
        on_time_review_score_sum::int as on_time_review_score_sum,

        -- money
        gmv::numeric(14,2) as gmv

    from per_person_state

)

select * from final

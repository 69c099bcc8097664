-- @primary_key: region
-- @incremental: region
-- @incremental_scope: select c.region from {{ ref('order_fulfillment_fact') }} o join {{ ref('customers_dim') }} c using (customer_key) where o.order_id in (select order_id from {{ touched('order_fulfillment_fact') }})
-- @incremental_scope: select region from {{ ref('customers_dim') }} where customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @description: Orders of any status, delivered and canceled orders, distinct customers (people) and GMV by customer macro-region; orders delivered with a date, late ones, and the review scores (sum and count) of late and on-time deliveries.
-- @test: reconcile(sum(late_orders) = count of ref('order_fulfillment_fact') where is_delivered and is_late) name=orders_by_region.reconcile.late desc="Late deliveries by region add up to the late deliveries of the order fact."
-- @test: reconcile(sum(delivered_with_date_orders) = count of ref('order_fulfillment_fact') where is_delivered) name=orders_by_region.reconcile.delivered desc="Deliveries by region add up to the orders delivered with a date."
-- @test: reconcile(sum(orders) = sum(orders) of ref('orders_by_state')) name=orders_by_region.reconcile.orders desc="Orders by region add up to orders by state."

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

-- each order with its customer's region and the person behind the order-level customer id
region_orders as (

    select
        customers.region,
        customers.customer_unique_id,
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

-- computed from the facts, not by summing orders_by_state: a person who ordered from two
-- states must count once per region, not twice. Counted from the distinct (region, person) pairs:
-- hashing them costs a fraction of count(distinct), which sorts every order with all its columns
people_per_region as (

    select
        region,
        count(*) as customers
    from (select distinct region, customer_unique_id from region_orders) as pairs
    group by region

),

per_region as (

    select
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
    from region_orders
    group by region

),

final as (

    select
        -- geography
        per_region.region,

        -- volumes
        per_region.orders::int as orders,
        per_region.delivered_orders::int as delivered_orders,
        per_region.canceled_orders::int as canceled_orders,
        people_per_region.customers::int as customers,

        -- delivery (orders delivered with a delivery date; late = after the promised day) and the
        -- review scores of late and on-time ones, as sums and counts so that averages stay exact
        per_region.delivered_with_date_orders::int as delivered_with_date_orders,
        per_region.late_orders::int as late_orders,
        per_region.late_reviews::int as late_reviews,
        per_region.late_review_score_sum::int as late_review_score_sum,
        per_region.on_time_reviews::int as on_time_reviews,
        per_region.on_time_review_score_sum::int as on_time_review_score_sum,

        -- money
        per_region.gmv::numeric(14,2) as gmv

    from per_region
    -- left joins: the counts come from the same rows, so every key is on both sides; a query that
    -- reads neither count (a reconciliation of the GMV) then skips computing them
    left join people_per_region
        on people_per_region.region = per_region.region

)

select * from final
order by region

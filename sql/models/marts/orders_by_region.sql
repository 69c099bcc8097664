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

-- computed from the facts, not by summing orders_by_state: a person who ordered from two
-- states must count once per region, not twice
final as (

    select
        -- geography
        customers.region,

        -- volumes
        count(*)::int as orders,
        count(*) filter (where orders.order_status = 'delivered')::int as delivered_orders,
        count(*) filter (where orders.order_status = 'canceled')::int as canceled_orders,
        count(distinct customers.customer_unique_id)::int as customers,

        -- delivery (orders delivered with a delivery date; late = after the promised day) and the
        -- review scores of late and on-time ones, as sums and counts so that averages stay exact
        count(*) filter (where orders.is_delivered)::int as delivered_with_date_orders,
        count(*) filter (where orders.is_delivered and orders.is_late)::int as late_orders,
        count(orders.review_score) filter (where orders.is_delivered and orders.is_late)::int as late_reviews,
        coalesce(sum(orders.review_score) filter (where orders.is_delivered and orders.is_late), 0)::int as late_review_score_sum,
        count(orders.review_score) filter (where orders.is_delivered and not orders.is_late)::int as on_time_reviews,
        coalesce(sum(orders.review_score) filter (where orders.is_delivered and not orders.is_late), 0)::int as on_time_review_score_sum,

        -- money
        coalesce(sum(orders.order_value) filter (where orders.is_revenue), 0)::numeric(14,2) as gmv

    from orders
    inner join customers
        on customers.customer_key = orders.customer_key
    group by customers.region

)

select * from final
order by region

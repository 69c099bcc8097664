-- @primary_key: customer_unique_id
-- @index: last_revenue_purchase_at, customer_unique_id where revenue_orders > 0
-- @index: gmv, customer_unique_id where revenue_orders > 0
-- @incremental: customer_unique_id
-- @incremental_scope: select c.customer_unique_id from {{ changes('order_fulfillment_fact', 'customer_key', 'is_revenue', 'order_value', 'purchased_at') }} o join {{ ref('customers_dim') }} c using (customer_key)
-- @incremental_scope: select customer_unique_id from {{ ref('customers_dim') }} where customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @description: One row per person (customer_unique_id, not customer_id, which is issued per order): orders of any status, revenue orders, their GMV and the first and last revenue purchase. Serves the repeat-customer rate and the RFM scores (customer_rfm) without a pass over the order fact; the feed recomputes the people of the orders a batch touched.
-- @test: reconcile(sum(orders) = count of ref('order_fulfillment_fact')) name=orders_per_person.reconcile.orders desc="Orders per person add up to every order of the order fact."
-- @test: range(orders between 1 and 1000)

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

final as (

    select
        -- the person
        customers.customer_unique_id,

        -- volumes
        count(*)::int as orders,
        count(*) filter (where orders.is_revenue)::int as revenue_orders,

        -- revenue orders: money and when (null for a person without one)
        coalesce(sum(orders.order_value) filter (where orders.is_revenue), 0)::numeric(14,2) as gmv,
        min(orders.purchased_at) filter (where orders.is_revenue) as first_revenue_purchase_at,
        max(orders.purchased_at) filter (where orders.is_revenue) as last_revenue_purchase_at

    from orders
    inner join customers
        on customers.customer_key = orders.customer_key
    group by customers.customer_unique_id

)

select * from final

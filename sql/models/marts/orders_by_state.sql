-- @primary_key: state
-- @index: region
-- @incremental: state
-- @incremental_scope: select c.state from {{ ref('order_fulfillment_fact') }} o join {{ ref('customers_dim') }} c using (customer_key) where o.order_id in (select order_id from {{ touched('order_fulfillment_fact') }})
-- @incremental_scope: select state from {{ ref('customers_dim') }} where customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @description: Orders of any status, delivered and canceled orders, distinct customers (people) and GMV by customer state.
-- @test: reconcile(sum(orders) = count of ref('order_fulfillment_fact')) name=orders_by_state.reconcile.orders desc="Orders by state add up to all orders."
-- @test: reconcile(sum(gmv) = sum(order_value) of ref('order_fulfillment_fact') where is_revenue) name=orders_by_state.reconcile.gmv desc="Revenue by state adds up to the total revenue."

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

final as (

    select
        -- geography
        customers.state,
        customers.region,

        -- volumes: all orders, whatever the status
        count(*)::int as orders,
        count(*) filter (where orders.order_status = 'delivered')::int as delivered_orders,
        count(*) filter (where orders.order_status = 'canceled')::int as canceled_orders,
        -- people, not order-level customer ids
        count(distinct customers.customer_unique_id)::int as customers,

        -- money: same revenue rule as daily_revenue
        coalesce(sum(orders.order_value) filter (where orders.is_revenue), 0)::numeric(14,2) as gmv

    from orders
    inner join customers
        on customers.customer_key = orders.customer_key
    group by customers.state, customers.region

)

select * from final
order by state

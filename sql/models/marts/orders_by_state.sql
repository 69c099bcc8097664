-- @primary_key: state
-- @incremental_additive: orders_per_person_state
-- @description: Orders of any status, delivered and canceled orders, distinct customers (people) and GMV by customer state. Sums of orders_per_person_state (one row per person and state): the feed adds a batch's change there to the states it touched.
-- @index: region
-- @test: reconcile(sum(orders) = count of ref('order_fulfillment_fact')) name=orders_by_state.reconcile.orders desc="Orders by state add up to all orders."
-- @test: reconcile(sum(gmv) = sum(order_value) of ref('order_fulfillment_fact') where is_revenue) name=orders_by_state.reconcile.gmv desc="Revenue by state adds up to the total revenue."

with person_states as (

    select * from {{ ref('orders_per_person_state') }}

),

-- one row per person and state, so the people of a state are a count of its rows
final as (

    select
        -- geography
        state,
        region,

        -- volumes: all orders, whatever the status
        sum(orders)::int as orders,
        sum(delivered_orders)::int as delivered_orders,
        sum(canceled_orders)::int as canceled_orders,
        -- people, not order-level customer ids
        count(*)::int as customers,

        -- money: same revenue rule as daily_revenue
        sum(gmv)::numeric(14,2) as gmv

    from person_states
    group by state, region

)

select * from final
order by state

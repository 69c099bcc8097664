-- @primary_key: customer_unique_id, month
-- @index: cohort_month
-- @incremental: customer_unique_id
-- @incremental_scope: select c.customer_unique_id from {{ changes('order_fulfillment_fact', 'customer_key', 'is_revenue', 'order_value', 'purchased_at') }} o join {{ ref('customers_dim') }} c using (customer_key)
-- @incremental_scope: select customer_unique_id from {{ ref('customers_dim') }} where customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @description: One row per person (customer_unique_id) and month with a revenue order: the revenue orders and GMV of that month, and the person's cohort month (the month of their first revenue order). Serves the cohorts (customer_cohorts) with one row per person-month instead of every order; the feed recomputes the people of the orders a batch touched.
-- @test: expression(cohort_month <= month) name=orders_per_person_month.cohort_first desc="A person's cohort month is their first month with a revenue order."

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

-- revenue orders of people: customer_id is issued per order, customer_unique_id is the person
per_month as (

    select
        customers.customer_unique_id,
        date_trunc('month', orders.purchased_at)::date as month,
        count(*) as orders,
        sum(orders.order_value) as gmv
    from orders
    inner join customers
        on customers.customer_key = orders.customer_key
    where orders.is_revenue
    group by customers.customer_unique_id, date_trunc('month', orders.purchased_at)::date

),

final as (

    select
        -- the person and the month
        customer_unique_id,
        month,
        -- a window over the person's own rows: the feed's filter on the person reaches through it
        min(month) over (partition by customer_unique_id) as cohort_month,

        -- what they bought that month
        orders::int as orders,
        gmv::numeric(14,2) as gmv

    from per_month

)

select * from final

-- @primary_key: cohort_month, months_since_first
-- @incremental: cohort_month
-- @incremental_scope: select date_trunc('month', min(o.purchased_at))::date from {{ ref('order_fulfillment_fact') }} o join {{ ref('customers_dim') }} c using (customer_key) where o.is_revenue and c.customer_unique_id in (select p.customer_unique_id from {{ ref('order_fulfillment_fact') }} t join {{ ref('customers_dim') }} p using (customer_key) where t.order_id in (select order_id from {{ touched('order_fulfillment_fact') }})) group by c.customer_unique_id
-- @description: Cohorts of people (customer_unique_id) by the month of their first revenue order: for each later month, the people of the cohort who bought again, their orders and GMV, and the retention rate (fraction 0..1 of the cohort; 1 in month 0). Months without a buyer have no row.
-- @test: reconcile(sum(orders) = count of ref('order_fulfillment_fact') where is_revenue) name=customer_cohorts.reconcile.orders desc="Every revenue order is in exactly one cohort month."
-- @test: reconcile(sum(gmv) = sum(order_value) of ref('order_fulfillment_fact') where is_revenue) name=customer_cohorts.reconcile.gmv desc="Cohort revenue adds up to the total revenue."
-- @test: range(retention_rate between 0 and 1)
-- @test: expression(months_since_first > 0 or retention_rate = 1) name=customer_cohorts.month_zero_whole desc="Every person of a cohort buys in the cohort's first month."

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

-- purchases of people: customer_id is issued per order, customer_unique_id is the person
purchases as (

    select
        customers.customer_unique_id,
        date_trunc('month', orders.purchased_at)::date as month,
        orders.order_value
    from orders
    inner join customers
        on customers.customer_key = orders.customer_key
    where orders.is_revenue

),

-- materialized: computed once for the activity and the cohort sizes (the feed's partition filter
-- cannot reach through the min(), so every person's first month is needed either way)
first_purchase as materialized (

    select
        customer_unique_id,
        min(month) as cohort_month
    from purchases
    group by customer_unique_id

),

activity as (

    select
        first_purchase.cohort_month,
        ((extract(year from purchases.month) - extract(year from first_purchase.cohort_month)) * 12
          + extract(month from purchases.month) - extract(month from first_purchase.cohort_month))::int as months_since_first,
        purchases.customer_unique_id,
        purchases.order_value
    from purchases
    inner join first_purchase
        on first_purchase.customer_unique_id = purchases.customer_unique_id

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_customers
    from first_purchase
    group by cohort_month

),

monthly as (

    select
        cohort_month,
        months_since_first,
        count(distinct customer_unique_id) as customers,
        count(*) as orders,
        sum(order_value) as gmv
    from activity
    group by cohort_month, months_since_first

),

final as (

    select
        -- cohort (month of the first revenue order) and month of activity
        monthly.cohort_month,
        monthly.months_since_first,
        (monthly.cohort_month + make_interval(months => monthly.months_since_first))::date as activity_month,

        -- people
        cohort_sizes.cohort_customers::int as cohort_customers,
        monthly.customers::int as customers,
        round(monthly.customers::numeric / cohort_sizes.cohort_customers, 4)::numeric(6,4) as retention_rate,

        -- what they bought that month
        monthly.orders::int as orders,
        round(monthly.gmv, 2)::numeric(14,2) as gmv

    from monthly
    inner join cohort_sizes
        on cohort_sizes.cohort_month = monthly.cohort_month

)

select * from final
order by cohort_month, months_since_first

-- @primary_key: cohort_month, months_since_first
-- @incremental: cohort_month
-- @incremental_scope: select cohort_month from {{ changes('orders_per_person_month') }}
-- @description: Cohorts of people (customer_unique_id) by the month of their first revenue order: for each later month, the people of the cohort who bought again, their orders and GMV, and the retention rate (fraction 0..1 of the cohort; 1 in month 0). Months without a buyer have no row.
-- @test: reconcile(sum(orders) = count of ref('order_fulfillment_fact') where is_revenue) name=customer_cohorts.reconcile.orders desc="Every revenue order is in exactly one cohort month."
-- @test: reconcile(sum(gmv) = sum(order_value) of ref('order_fulfillment_fact') where is_revenue) name=customer_cohorts.reconcile.gmv desc="Cohort revenue adds up to the total revenue."
-- @test: range(retention_rate between 0 and 1)
-- @test: expression(months_since_first > 0 or retention_rate = 1) name=customer_cohorts.month_zero_whole desc="Every person of a cohort buys in the cohort's first month."

with person_months as (

    select * from {{ ref('orders_per_person_month') }}

),

-- one row per person and month with a revenue order (orders_per_person_month), so a count of rows
-- is a count of people, and a cohort is recomputed from its own people's months only
activity as (

    select
        cohort_month,
        ((extract(year from month) - extract(year from cohort_month)) * 12
          + extract(month from month) - extract(month from cohort_month))::int as months_since_first,
        orders,
        gmv
    from person_months

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_customers
    from person_months
    where month = cohort_month
    group by cohort_month

),

monthly as (

    select
        cohort_month,
        months_since_first,
        count(*) as customers,
        sum(orders) as orders,
        sum(gmv) as gmv
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

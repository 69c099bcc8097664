-- @primary_key: cohort_month, months_since_first
-- @description: Cohorts of people (customer_unique_id) by the month of their first revenue order: for each later month, the people of the cohort who bought again, their orders and GMV, and the retention rate (fraction 0..1 of the cohort; 1 in month 0). Months without a buyer have no row. Derived from cohort_month_totals (sums by cohort and month, which the feed updates by difference): the feed recomputes it whole from those few hundred rows.
-- @test: reconcile(sum(orders) = count of ref('order_fulfillment_fact') where is_revenue) name=customer_cohorts.reconcile.orders desc="Every revenue order is in exactly one cohort month."
-- @test: reconcile(sum(gmv) = sum(order_value) of ref('order_fulfillment_fact') where is_revenue) name=customer_cohorts.reconcile.gmv desc="Cohort revenue adds up to the total revenue."
-- @test: range(retention_rate between 0 and 1)
-- @test: expression(months_since_first > 0 or retention_rate = 1) name=customer_cohorts.month_zero_whole desc="Every person of a cohort buys in the cohort's first month."

with cohort_month_totals as (

    select * from {{ ref('cohort_month_totals') }}

),

-- the people of a cohort are those who bought in its first month
cohort_sizes as (

    select
        cohort_month,
        customers as cohort_customers
    from cohort_month_totals
    where months_since_first = 0

),

monthly as (

    select * from cohort_month_totals

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

-- @primary_key: cohort_month, months_since_first
-- @incremental_additive: orders_per_person_month
-- @description: For each cohort (the month of a person's first revenue order) and each later month, the people of the cohort who bought that month, their revenue orders and GMV, as sums over orders_per_person_month (one row per person and month). What customer_cohorts derives its retention from; the feed adds a batch's change of orders_per_person_month to the cohort months it touched, so a day costs its own people, not the people of every cohort it reaches.

with person_months as (

    select * from {{ ref('orders_per_person_month') }}

),

activity as (

    select
        cohort_month,
        ((extract(year from month) - extract(year from cohort_month)) * 12
          + extract(month from month) - extract(month from cohort_month))::int as months_since_first,
        orders,
        gmv
    from person_months

),

final as (

    select
        -- cohort month and months since it
        cohort_month,
        months_since_first,

        -- sums (a row per person and month: a count of rows is a count of people)
        count(*)::int as customers,
        sum(orders)::bigint as orders,
        sum(gmv) as gmv

    from activity
    group by cohort_month, months_since_first

)

select * from final

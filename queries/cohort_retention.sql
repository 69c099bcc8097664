-- Do customers come back? For each cohort of people (month of their first purchase), the cohort's
-- size and the share of it that bought again 1, 2, 3 and 6 months later.
select
    cohort_month,
    max(cohort_customers)                                          as customers,
    coalesce(max(retention_rate) filter (where months_since_first = 1), 0) as month_1,
    coalesce(max(retention_rate) filter (where months_since_first = 2), 0) as month_2,
    coalesce(max(retention_rate) filter (where months_since_first = 3), 0) as month_3,
    coalesce(max(retention_rate) filter (where months_since_first = 6), 0) as month_6
from marts.customer_cohorts
group by cohort_month
order by cohort_month

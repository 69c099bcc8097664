-- How many people (customer_unique_id) ordered from more than one address over time?
-- An address period is a version of warehouse.people_dim (type 2): a new one starts with the
-- first order from another zip prefix, city or state than the order before.
select
    count(*)                                                     as people,
    count(*) filter (where periods > 1)                          as people_with_several_periods,
    count(*) filter (where periods > 2)                          as people_with_three_or_more,
    max(periods)                                                 as most_periods_of_one_person,
    count(*) filter (where states > 1)                           as people_who_changed_state,
    round(100.0 * count(*) filter (where periods > 1) / count(*), 2) as pct_with_several_periods
from (
    select customer_unique_id, count(*) as periods, count(distinct state) as states
    from warehouse.people_dim
    group by customer_unique_id
) per_person

-- How much revenue moves between states when sales are attributed to where the person (customer
-- state) or the seller (seller state) was at the time of the sale (point in time, what the facts'
-- keys point to) instead of where they are today (their current version)?
-- One row per attribution and state where the two differ; `moved_gmv` in the total row is the
-- revenue that changes state (half the sum of the absolute differences: what leaves one state
-- arrives in another).
with sales as (

    select
        orders_fact.item_total,
        sale_person.state    as person_state_then,
        today_person.state   as person_state_now,
        sale_seller.state    as seller_state_then,
        today_seller.state   as seller_state_now
    from warehouse.orders_fact
    join warehouse.people_dim  as sale_person  on sale_person.person_key = orders_fact.person_key
    join warehouse.people_dim  as today_person on today_person.customer_unique_id = sale_person.customer_unique_id and today_person.is_current
    join warehouse.sellers_dim as sale_seller  on sale_seller.seller_key = orders_fact.seller_key
    join warehouse.sellers_dim as today_seller on today_seller.seller_id = sale_seller.seller_id and today_seller.is_current
    where orders_fact.is_revenue

),

by_state as (

    select 'customer' as attribution, state, sum(then_gmv) as point_in_time_gmv, sum(now_gmv) as as_of_today_gmv
    from (
        select person_state_then as state, item_total as then_gmv, 0 as now_gmv from sales
        union all
        select person_state_now, 0, item_total from sales
    ) s
    group by state
    union all
    select 'seller', state, sum(then_gmv), sum(now_gmv)
    from (
        select seller_state_then as state, item_total as then_gmv, 0 as now_gmv from sales
        union all
        select seller_state_now, 0, item_total from sales
    ) s
    group by state

)

select
    attribution,
    state,
    point_in_time_gmv,
    as_of_today_gmv,
    point_in_time_gmv - as_of_today_gmv as difference
from by_state
where point_in_time_gmv <> as_of_today_gmv
union all
select
    attribution,
    'moved (total)',
    sum(point_in_time_gmv),
    sum(as_of_today_gmv),
    round(sum(abs(point_in_time_gmv - as_of_today_gmv)) / 2, 2)
from by_state
group by attribution
order by attribution, state

-- @primary_key: customer_unique_id
-- @index: recency_score, last_purchase_at, customer_unique_id
-- @index: monetary_score, monetary, customer_unique_id
-- @incremental: customer_unique_id
-- @incremental_scope: select customer_unique_id from {{ touched('orders_per_person') }}
-- @incremental_scope: select moved.customer_unique_id from (select q.score, lower_cut.recency_at as lower_at, lower_cut.recency_person as lower_person, upper_cut.recency_at as upper_at, upper_cut.recency_person as upper_person from generate_series(1, 5) as q(score) left join {{ ref('customer_rfm_cuts') }} lower_cut on lower_cut.cut = q.score - 1 left join {{ ref('customer_rfm_cuts') }} upper_cut on upper_cut.cut = q.score) b cross join lateral ((select r.customer_unique_id from {{ ref('customer_rfm') }} r where r.recency_score = b.score and (r.last_purchase_at, r.customer_unique_id) <= (b.lower_at, b.lower_person)) union all (select r.customer_unique_id from {{ ref('customer_rfm') }} r where r.recency_score = b.score and (r.last_purchase_at, r.customer_unique_id) > (b.upper_at, b.upper_person))) moved
-- @incremental_scope: select moved.customer_unique_id from (select q.score, lower_cut.monetary as lower_value, lower_cut.monetary_person as lower_person, upper_cut.monetary as upper_value, upper_cut.monetary_person as upper_person from generate_series(1, 5) as q(score) left join {{ ref('customer_rfm_cuts') }} lower_cut on lower_cut.cut = q.score - 1 left join {{ ref('customer_rfm_cuts') }} upper_cut on upper_cut.cut = q.score) b cross join lateral ((select r.customer_unique_id from {{ ref('customer_rfm') }} r where r.monetary_score = b.score and (r.monetary, r.customer_unique_id) <= (b.lower_value, b.lower_person)) union all (select r.customer_unique_id from {{ ref('customer_rfm') }} r where r.monetary_score = b.score and (r.monetary, r.customer_unique_id) > (b.upper_value, b.upper_person))) moved
-- @description: RFM segment of every person (customer_unique_id) with a revenue order: last purchase, orders, money spent, recency and monetary quintiles (5 = most recent / highest), frequency score (orders, capped at 5) and segment. A quintile is ntile(5) over everyone, ties broken by the person id; it is read as the number of customer_rfm_cuts ranked below the person, so the feed recomputes the people a batch touched plus those a moved cut passed (their stored score is outside its new cuts), not everyone.
-- @test: reconcile(sum(orders) = count of ref('order_fulfillment_fact') where is_revenue) name=customer_rfm.reconcile.orders desc="Every revenue order belongs to one person's RFM row."
-- @test: reconcile(sum(monetary) = sum(order_value) of ref('order_fulfillment_fact') where is_revenue) name=customer_rfm.reconcile.monetary desc="What people spent adds up to the total revenue."
-- @test: accepted_values(segment: champions, loyal, at_risk, new, promising, needs_attention, lost_big_spenders, hibernating)
-- @test: range(recency_score between 1 and 5)
-- @test: range(monetary_score between 1 and 5)

with orders_per_person as (

    select * from {{ ref('orders_per_person') }}

),

cuts as (

    select * from {{ ref('customer_rfm_cuts') }}

),

-- people with a revenue order, from the per-person mart: one narrow row per person instead of
-- every order joined to its customer
people as (

    select
        customer_unique_id,
        last_revenue_purchase_at as last_purchase_at,
        first_revenue_purchase_at as first_purchase_at,
        revenue_orders as orders,
        gmv as monetary
    from orders_per_person
    where revenue_orders > 0

),

-- the four cuts of each ranking side by side (cut j: the last person of quintile j)
bounds as (

    select
        array_agg(recency_at order by cut) as recency_at,
        array_agg(recency_person order by cut) as recency_person,
        array_agg(monetary order by cut) as monetary,
        array_agg(monetary_person order by cut) as monetary_person
    from cuts

),

-- a quintile is 1 + the cuts ranked below the person: what ntile(5) over everyone, ordered by
-- (value, person id), deals, without ranking everyone (customer_rfm_cuts says where they fall)
scored as (

    select
        people.*,
        1
            + ((people.last_purchase_at, people.customer_unique_id) > (bounds.recency_at[1], bounds.recency_person[1]))::int
            + ((people.last_purchase_at, people.customer_unique_id) > (bounds.recency_at[2], bounds.recency_person[2]))::int
            + ((people.last_purchase_at, people.customer_unique_id) > (bounds.recency_at[3], bounds.recency_person[3]))::int
            + ((people.last_purchase_at, people.customer_unique_id) > (bounds.recency_at[4], bounds.recency_person[4]))::int
            as recency_score,
        least(people.orders, 5) as frequency_score,
        1
            + ((people.monetary, people.customer_unique_id) > (bounds.monetary[1], bounds.monetary_person[1]))::int
            + ((people.monetary, people.customer_unique_id) > (bounds.monetary[2], bounds.monetary_person[2]))::int
            + ((people.monetary, people.customer_unique_id) > (bounds.monetary[3], bounds.monetary_person[3]))::int
            + ((people.monetary, people.customer_unique_id) > (bounds.monetary[4], bounds.monetary_person[4]))::int
            as monetary_score
    from people
    cross join bounds

),

-- 97% of people buy once, so frequency splits repeat buyers from the rest and recency and money
-- grade them (docs/serving.md)
segmented as (

    select
        scored.*,
        case
            when orders >= 2 and recency_score >= 4 then 'champions'
            when orders >= 2 and recency_score >= 2 then 'loyal'
            when orders >= 2 then 'at_risk'
            when recency_score = 5 then 'new'
            when recency_score = 4 then 'promising'
            when recency_score = 3 then 'needs_attention'
            when monetary_score >= 4 then 'lost_big_spenders'
            else 'hibernating'
        end as segment
    from scored

),

final as (

    select
        -- the person
        customer_unique_id,

        -- RFM facts
        first_purchase_at,
        last_purchase_at,
        orders::int as orders,
        round(monetary, 2)::numeric(14,2) as monetary,

        -- scores and segment
        recency_score::int as recency_score,
        frequency_score::int as frequency_score,
        monetary_score::int as monetary_score,
        segment

    from segmented

)

select * from final
order by customer_unique_id

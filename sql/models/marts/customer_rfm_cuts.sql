-- @primary_key: cut
-- @description: Where customer_rfm's quintiles split: for each of the four cuts, the last person (in ranking order) of the recency and of the monetary quintile below it, over every person with a revenue order. ntile(5) gives the first n % 5 quintiles one person more than the others, so cut j is rank j * (n / 5) + least(j, n % 5). Read off the partial indexes of orders_per_person at that rank (a walk, not a sort of everyone); a feed batch moves each cut from where it stood by the people it removed and added before it (a walk as long as the batch, not the warehouse). A person's score is then 1 + the number of cuts ranked below them.
-- @test: not_null(people, last_rank, recency_at, recency_person, monetary, monetary_person)
-- @test: range(cut between 1 and 4)

with orders_per_person as not materialized (

    select * from {{ ref('orders_per_person') }}

),

-- everyone customer_rfm scores: the predicate of the two partial indexes walked below
people as not materialized (

    select
        customer_unique_id,
        last_revenue_purchase_at as last_purchase_at,
        gmv as monetary
    from orders_per_person
    where revenue_orders > 0

),

{% if is_incremental() %}
-- a feed batch: the cuts as they stood, and the people whose row the batch replaced, counted -1
-- as they were and +1 as they are (a person whose values did not move cancels out)
previous as (

    select * from {{ this }}

),

moved as (

    select last_revenue_purchase_at as last_purchase_at, gmv as monetary, customer_unique_id, -1 as sign
    from {{ removed('orders_per_person') }}
    where revenue_orders > 0
    union all
    select last_revenue_purchase_at as last_purchase_at, gmv as monetary, customer_unique_id, 1 as sign
    from {{ added('orders_per_person') }}
    where revenue_orders > 0

),

counted as (

    select coalesce((select max(previous.people) from previous), 0) + coalesce((select sum(moved.sign) from moved), 0) as people

),
{% else %}
counted as (

    select count(*) as people
    from people

),
{% endif %}

-- the last rank (1-based) of quintiles 1 to 4, as ntile(5) deals them
cut_ranks as (

    select
        cut,
        counted.people,
        cut * (counted.people / 5) + least(cut, counted.people % 5) as last_rank
    from counted
    cross join generate_series(1, 4) as cut
    where counted.people > 0

),

{% if is_incremental() %}
-- where each previous cut person stands now: the people ranked up to them are their old rank,
-- less those the batch removed and plus those it added up to them; the new cut is then a walk of
-- that many places from them, forward or back (from the start of the ranking when there was no
-- cut: the first batch into an empty warehouse). Both walks' offsets are computed whichever
-- runs, so neither may be negative.
anchored as (

    select
        cut_ranks.*,
        coalesce(previous.recency_at, '-infinity') as from_recency_at,
        coalesce(previous.recency_person, '') as from_recency_person,
        coalesce(previous.monetary, '-infinity') as from_monetary,
        coalesce(previous.monetary_person, '') as from_monetary_person,
        coalesce(previous.last_rank + (
            select coalesce(sum(moved.sign), 0) from moved
            where (moved.last_purchase_at, moved.customer_unique_id) <= (previous.recency_at, previous.recency_person)
        ), 0) as recency_before,
        coalesce(previous.last_rank + (
            select coalesce(sum(moved.sign), 0) from moved
            where (moved.monetary, moved.customer_unique_id) <= (previous.monetary, previous.monetary_person)
        ), 0) as monetary_before
    from cut_ranks
    left join previous
        on previous.cut = cut_ranks.cut

),

cuts as (

    select
        anchored.cut,
        anchored.people,
        anchored.last_rank,
        recency.last_purchase_at as recency_at,
        recency.customer_unique_id as recency_person,
        monetary.monetary,
        monetary.customer_unique_id as monetary_person
    from anchored
    cross join lateral (
        (
            select people.last_purchase_at, people.customer_unique_id
            from people
            where anchored.last_rank > anchored.recency_before
              and (people.last_purchase_at, people.customer_unique_id) > (anchored.from_recency_at, anchored.from_recency_person)
            order by people.last_purchase_at, people.customer_unique_id
            offset greatest(anchored.last_rank - anchored.recency_before - 1, 0)
            limit 1
        )
        union all
        (
            select people.last_purchase_at, people.customer_unique_id
            from people
            where anchored.last_rank <= anchored.recency_before
              and (people.last_purchase_at, people.customer_unique_id) <= (anchored.from_recency_at, anchored.from_recency_person)
            order by people.last_purchase_at desc, people.customer_unique_id desc
            offset greatest(anchored.recency_before - anchored.last_rank, 0)
            limit 1
        )
    ) as recency
    cross join lateral (
        (
            select people.monetary, people.customer_unique_id
            from people
            where anchored.last_rank > anchored.monetary_before
              and (people.monetary, people.customer_unique_id) > (anchored.from_monetary, anchored.from_monetary_person)
            order by people.monetary, people.customer_unique_id
            offset greatest(anchored.last_rank - anchored.monetary_before - 1, 0)
            limit 1
        )
        union all
        (
            select people.monetary, people.customer_unique_id
            from people
            where anchored.last_rank <= anchored.monetary_before
              and (people.monetary, people.customer_unique_id) <= (anchored.from_monetary, anchored.from_monetary_person)
            order by people.monetary desc, people.customer_unique_id desc
            offset greatest(anchored.monetary_before - anchored.last_rank, 0)
            limit 1
        )
    ) as monetary

),
{% else %}
-- the person at that rank in each ranking (ties broken by the person id, as customer_rfm ranks),
-- walked from the nearer end of the index
cuts as (

    select
        cut_ranks.*,
        recency.last_purchase_at as recency_at,
        recency.customer_unique_id as recency_person,
        monetary.monetary,
        monetary.customer_unique_id as monetary_person
    from cut_ranks
    cross join lateral (
        (
            select people.last_purchase_at, people.customer_unique_id
            from people
            where cut_ranks.last_rank <= cut_ranks.people / 2
            order by people.last_purchase_at, people.customer_unique_id
            offset cut_ranks.last_rank - 1
            limit 1
        )
        union all
        (
            select people.last_purchase_at, people.customer_unique_id
            from people
            where cut_ranks.last_rank > cut_ranks.people / 2
            order by people.last_purchase_at desc, people.customer_unique_id desc
            offset cut_ranks.people - cut_ranks.last_rank
            limit 1
        )
    ) as recency
    cross join lateral (
        (
            select people.monetary, people.customer_unique_id
            from people
            where cut_ranks.last_rank <= cut_ranks.people / 2
            order by people.monetary, people.customer_unique_id
            offset cut_ranks.last_rank - 1
            limit 1
        )
        union all
        (
            select people.monetary, people.customer_unique_id
            from people
            where cut_ranks.last_rank > cut_ranks.people / 2
            order by people.monetary desc, people.customer_unique_id desc
            offset cut_ranks.people - cut_ranks.last_rank
            limit 1
        )
    ) as monetary

),
{% endif %}

final as (

    select
        -- the cut, between quintile `cut` and the next
        cut::int as cut,

        -- where it falls: people ranked, and the last rank of the quintile below
        people::int as people,
        last_rank::int as last_rank,

        -- the last person of that quintile in each ranking
        recency_at,
        recency_person,
        monetary,
        monetary_person

    from cuts

)

select * from final
order by cut

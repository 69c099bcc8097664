-- @primary_key: seller_state
-- @incremental: seller_state
-- @incremental_scope: select seller_state from {{ touched('seller_state_totals') }}
-- @description: Revenue by seller state at the time of the sale (point in time: a seller who moved counts in its old state before the move, in its new one after): sellers, orders, items and GMV (items of orders not canceled/unavailable). Added up per state from seller_state_totals, whose rows are the distinct (state, seller) pairs: the feed recomputes the states whose pairs a batch changed from their few thousand rows, not from their items. The "as of today" attribution is revenue_by_seller_state_as_of_today.
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=revenue_by_seller_state.reconcile.gmv desc="Revenue by seller state (point in time) adds up to the total revenue."
-- @test: reconcile(sum(items) = count of ref('orders_fact') where is_revenue) name=revenue_by_seller_state.reconcile.items desc="Revenue items by seller state add up to every revenue item of the sales fact (through seller_state_orders and seller_state_totals)."

with seller_state_totals as (

    select * from {{ ref('seller_state_totals') }}

),

-- one row per (state, seller) with revenue items there: a count of rows is a count of sellers, and
-- the orders were counted once per state by the first-in-state flags
per_state as (

    select
        seller_state,
        min(seller_region) as seller_region,
        count(*) as sellers,
        sum(orders) as orders,
        sum(items) as items,
        sum(gmv) as gmv
    from seller_state_totals
    group by seller_state

),

final as (

    select
        -- seller geography at the time of the sale
        seller_state,
        seller_region,

        -- volumes
        sellers::int as sellers,
        orders::int as orders,
        items::int as items,

        -- money (BRL)
        round(gmv, 2)::numeric(14,2) as gmv

    from per_state

)

select * from final
order by seller_state

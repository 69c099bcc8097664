-- @primary_key: seller_state
-- @incremental: seller_state
-- @incremental_scope: select s.state from {{ ref('orders_fact') }} i join {{ ref('sellers_dim') }} s using (seller_key) where i.order_id in (select order_id from {{ touched('orders_fact') }})
-- @incremental_scope: select state from {{ ref('sellers_dim') }} where seller_id in (select seller_id from {{ touched('sellers_dim') }})
-- @incremental_scope: select state from {{ ref('sellers_dim') }} where seller_id in (select seller_id from {{ changed('sellers') }})
-- @description: Revenue by seller state at the time of the sale (point in time: a seller who moved counts in its old state before the move, in its new one after): sellers, orders, items and GMV (items of orders not canceled/unavailable). The "as of today" attribution is revenue_by_seller_state_as_of_today.
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=revenue_by_seller_state.reconcile.gmv desc="Revenue by seller state (point in time) adds up to the total revenue."

with items as (

    select * from {{ ref('orders_fact') }}

),

sellers as (

    select * from {{ ref('sellers_dim') }}

),

-- the fact's seller_key is the version valid at the purchase: its state is the state of the time
revenue_items as (

    select
        sellers.state as seller_state,
        sellers.region as seller_region,
        sellers.seller_id,
        items.order_id,
        items.item_total
    from items
    inner join sellers
        on sellers.seller_key = items.seller_key
    where items.is_revenue

),

-- sellers and orders per state, counted from the distinct (state, seller) and (state, order)
-- pairs: hashing them costs a fraction of count(distinct), which sorts every item with all its columns
sellers_per_state as (

    select
        seller_state,
        count(*) as sellers
    from (select distinct seller_state, seller_id from revenue_items) as pairs
    group by seller_state

),

orders_per_state as (

    select
        seller_state,
        count(*) as orders
    from (select distinct seller_state, order_id from revenue_items) as pairs
    group by seller_state

),

items_per_state as (

    select
        seller_state,
        min(seller_region) as seller_region,
        count(*) as items,
        sum(item_total) as gmv
    from revenue_items
    group by seller_state

),

final as (

    select
        -- seller geography at the time of the sale
        items_per_state.seller_state,
        items_per_state.seller_region,

        -- volumes
        sellers_per_state.sellers::int as sellers,
        orders_per_state.orders::int as orders,
        items_per_state.items::int as items,

        -- money (BRL)
        round(items_per_state.gmv, 2)::numeric(14,2) as gmv

    from items_per_state
    -- left joins: the counts come from the same rows, so every key is on both sides; a query that
    -- reads neither count (a reconciliation of the GMV) then skips computing them
    left join sellers_per_state
        on sellers_per_state.seller_state = items_per_state.seller_state
    left join orders_per_state
        on orders_per_state.seller_state = items_per_state.seller_state

)

select * from final
order by seller_state

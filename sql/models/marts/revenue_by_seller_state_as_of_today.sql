-- @materialized: view
-- @description: View of revenue by the seller's state as of today (every sale of a seller counts in the state it is in now, whatever it was at the sale): the measures of revenue_by_seller_state, read from the facts joined to the seller's current version, for analysts who want today's attribution.
-- @test: reconcile(sum(gmv) = sum(gmv) of ref('revenue_by_seller_state')) name=revenue_by_seller_state_as_of_today.reconcile.gmv desc="Revenue by today's seller state adds up to the same total as the point-in-time attribution."

with items as (

    select * from {{ ref('orders_fact') }}

),

sellers as (

    select * from {{ ref('sellers_dim') }}

),

-- from the version valid at the sale to the seller's current version
revenue_items as (

    select
        current_version.state as seller_state,
        current_version.region as seller_region,
        current_version.seller_id,
        items.order_id,
        items.item_total
    from items
    inner join sellers as sale_version
        on sale_version.seller_key = items.seller_key
    inner join sellers as current_version
        on current_version.seller_id = sale_version.seller_id
        and current_version.is_current
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
        -- seller geography today
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

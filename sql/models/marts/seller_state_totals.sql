-- @primary_key: seller_state, seller_id
-- @incremental_additive: seller_state_orders
-- @description: Sums per seller state at the time of the sale and seller of seller_state_orders: orders counted once per state (first-in-state flags), revenue items, GMV. A row exists while the seller has revenue items in the state, so the rows of a state are its distinct sellers. What revenue_by_seller_state adds up per state; the feed adds a batch's change of seller_state_orders to the pairs it touched.

with seller_state_orders as (

    select * from {{ ref('seller_state_orders') }}

),

final as (

    select
        -- seller state at the sale, and the seller
        seller_state,
        seller_id,
        -- the state's region (the same for every seller of the state)
        seller_region,

        -- sums
        sum(first_in_state)::int as orders,
        sum(items)::int as items,
        sum(gmv) as gmv

    from seller_state_orders
    group by seller_state, seller_id, seller_region

)

select * from final

-- @primary_key: order_id, seller_state, seller_id
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ changes('orders_fact', 'seller_key', 'item_total', 'is_revenue') }}
-- @incremental_scope: select o.order_id from {{ ref('orders_fact') }} o join {{ ref('sellers_dim') }} s using (seller_key) where s.seller_id in (select seller_id from {{ touched('sellers_dim') }})
-- @description: One row per revenue order, seller state at the time of the sale and seller (an order with items from two sellers of one state has two rows): the seller's revenue items and their GMV in the order, and whether the row is the order's first in that state (0/1). What seller_state_totals adds up: its rows are the distinct (state, seller) pairs, and the first-in-state flags count each order once per state, so a batch adds its own orders' change instead of counting a state's items again.
-- @test: range(first_in_state between 0 and 1)

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

per_order_seller as (

    select
        order_id,
        seller_state,
        seller_region,
        seller_id,
        count(*) as items,
        sum(item_total) as gmv
    from revenue_items
    group by order_id, seller_state, seller_region, seller_id

),

final as (

    select
        -- the order, the seller's state at the sale, the seller
        order_id,
        seller_state,
        seller_id,
        seller_region,

        -- the seller's revenue items in the order
        items::int as items,
        gmv,

        -- counts the order once in the state: a window over the order's own rows
        (row_number() over (partition by order_id, seller_state order by seller_id) = 1)::int as first_in_state

    from per_order_seller

)

select * from final

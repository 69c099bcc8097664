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

final as (

    select
        -- seller geography today
        seller_state,
        min(seller_region) as seller_region,

        -- volumes
        count(distinct seller_id)::int as sellers,
        count(distinct order_id)::int as orders,
        count(*)::int as items,

        -- money (BRL)
        round(sum(item_total), 2)::numeric(14,2) as gmv

    from revenue_items
    group by seller_state

)

select * from final

-- @primary_key: seller_id
-- @incremental: seller_id
-- @incremental_scope: select seller_id from {{ touched('seller_totals') }}
-- @incremental_scope: select seller_id from {{ touched('sellers_dim') }}
-- @description: Per seller (with at least one item sold; seller_state is the current version's): orders, items, GMV, average review, delivered orders, on-time rate, average delivery days, late-shipping rate, canceled orders. Rates are fractions 0..1. Derived from the sums of seller_totals: the feed recomputes the sellers whose sums or current version a batch changed.
-- @index: seller_state
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=seller_performance.reconcile.gmv desc="Revenue by seller adds up to the total revenue."
-- @test: reconcile(sum(items) = count of ref('orders_fact')) name=seller_performance.reconcile.items desc="Items by seller add up to every item of the sales fact (through seller_orders and seller_totals)."
-- @test: range(on_time_rate between 0 and 1)
-- @test: range(avg_review_score between 1 and 5)

with seller_totals as (

    select * from {{ ref('seller_totals') }}

),

sellers as (

    select * from {{ ref('sellers_dim') }}

),

final as (

    select
        -- seller
        sellers.seller_id,
        sellers.state as seller_state,

        -- volumes (all statuses)
        seller_totals.orders::int as orders,
        seller_totals.items::int as items,

        -- money (revenue items only)
        round(seller_totals.gmv, 2)::numeric(14,2) as gmv,

        -- satisfaction (kept review of each order; null when no order was reviewed)
        round(seller_totals.review_score_sum::numeric / nullif(seller_totals.reviews, 0), 2)::numeric(4,2) as avg_review_score,

        -- delivery (orders delivered with a delivery date)
        seller_totals.delivered_orders::int as delivered_orders,
        round(seller_totals.on_time_orders::numeric
              / nullif(seller_totals.delivered_orders, 0), 4)::numeric(6,4) as on_time_rate,
        round(seller_totals.delivery_days_sum / nullif(seller_totals.delivery_days_count, 0), 2)::numeric(10,2) as avg_delivery_days,
        round(seller_totals.late_shipped_items::numeric
              / nullif(seller_totals.shipped_items, 0), 4)::numeric(6,4) as late_shipping_rate,

        -- cancellations
        seller_totals.canceled_orders::int as canceled_orders

    from seller_totals
    -- the seller as it is today (a seller keeps one row here across its versions)
    inner join sellers
        on sellers.seller_id = seller_totals.seller_id
        and sellers.is_current

)

select * from final
order by seller_id

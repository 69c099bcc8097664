-- @primary_key: seller_id
-- @incremental_additive: seller_orders
-- @description: Sums per seller of seller_orders (one row per order and seller): orders, items, GMV, shipped and late-shipped items, review scores (sum and count), delivered and on-time orders, delivery days (sum and count), canceled orders. What seller_performance derives its averages and rates from; the feed adds a batch's change of seller_orders to the sellers it touched.

with seller_orders as (

    select * from {{ ref('seller_orders') }}

),

-- one row per order and seller, so the orders of a seller are a count of its rows
final as (

    select
        -- seller
        seller_id,

        -- sums
        count(*)::int as orders,
        sum(items)::int as items,
        sum(gmv)::numeric(14,2) as gmv,
        sum(shipped_items)::int as shipped_items,
        sum(late_shipped_items)::int as late_shipped_items,
        sum(review_score_sum)::int as review_score_sum,
        sum(reviews)::int as reviews,
        sum(delivered_orders)::int as delivered_orders,
        sum(on_time_orders)::int as on_time_orders,
        sum(delivery_days_sum)::numeric(40,24) as delivery_days_sum,
        sum(delivery_days_count)::int as delivery_days_count,
        sum(canceled_orders)::int as canceled_orders

    from seller_orders
    group by seller_id

)

select * from final

-- @primary_key: day
-- @incremental: day
-- @incremental_scope: select purchased_at::date from {{ ref('orders_fact') }} where order_id in (select order_id from {{ touched('orders_fact') }})
-- @description: Revenue per purchase day (items of orders not canceled/unavailable): orders, items, items revenue, freight, GMV, average order value.
-- @test: reconcile(sum(gmv) = sum(item_total) of ref('orders_fact') where is_revenue) name=daily_revenue.reconcile.gmv desc="Total revenue (GMV) of the daily report equals the revenue items of the sales fact."
-- @test: reconcile(sum(items) = count of ref('orders_fact') where is_revenue) name=daily_revenue.reconcile.items desc="Items sold in the daily report equal the revenue items of the sales fact."

with orders_fact as (

    select * from {{ ref('orders_fact') }}

),

-- revenue = items of orders that turned into a sale, on the day of purchase
revenue_items as (

    select
        purchased_at::date as day,
        order_id,
        price,
        freight_value
    from orders_fact
    where is_revenue

),

daily as (

    select
        day,
        count(distinct order_id) as orders,
        count(*) as items,
        sum(price) as items_revenue,
        sum(freight_value) as freight_revenue
    from revenue_items
    group by day

),

final as (

    select
        -- day
        day,

        -- volumes
        orders::int as orders,
        items::int as items,

        -- money (BRL)
        round(items_revenue, 2)::numeric(14,2) as items_revenue,
        round(freight_revenue, 2)::numeric(14,2) as freight_revenue,
        round(items_revenue + freight_revenue, 2)::numeric(14,2) as gmv,
        round((items_revenue + freight_revenue) / orders, 2)::numeric(14,2) as avg_order_value

    from daily

)

select * from final
order by day

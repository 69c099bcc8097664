-- @primary_key: order_item_key
-- @unique: order_id, order_item_id
-- @references: customer_key -> customers_dim(customer_key)
-- @references: person_key -> people_dim(person_key)
-- @references: product_key -> products_dim(product_key)
-- @references: seller_key -> sellers_dim(seller_key)
-- @references: purchase_date_key -> time_dim(date_key)
-- @index: customer_key
-- @index: person_key
-- @index: product_key
-- @index: seller_key
-- @index: purchase_date_key
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ touched('stg_order_items') }}
-- @incremental_scope: select order_id from {{ touched('stg_orders') }}
-- @incremental_scope: select order_id from {{ ref('stg_orders') }} where customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @incremental_scope: select order_id from {{ ref('stg_order_items') }} where product_id in (select product_id from {{ touched('products_dim') }})
-- @incremental_scope: select order_id from {{ ref('stg_order_items') }} where seller_id in (select seller_id from {{ touched('sellers_dim') }})
-- @incremental_scope: select o.order_id from {{ ref('stg_orders') }} o join {{ ref('stg_customers') }} c on c.customer_id = o.customer_id where c.customer_unique_id in (select customer_unique_id from {{ touched('people_dim') }})
-- @description: Sales fact, grain one order item: price and freight with the order's status and timestamps; is_revenue marks the items that count as revenue. Seller, product and person keys point to the dimension version valid at the purchase (point in time).
-- @test: reconcile(count = ref('stg_order_items')) name=orders_fact.reconcile.items desc="Every staged order item is in the sales fact exactly once (fact items = staging items)."
-- @test: not_null(customer_key, person_key, product_key, seller_key) desc="Every sale points to its customer, person, product and seller."
-- @test: point_in_time(seller_key -> sellers_dim at purchased_at) name=orders_fact.seller_version_at_purchase desc="Every sale points to the seller version valid at its purchase time."
-- @test: point_in_time(product_key -> products_dim at purchased_at) name=orders_fact.product_version_at_purchase desc="Every sale points to the product version valid at its purchase time."
-- @test: point_in_time(person_key -> people_dim at purchased_at) name=orders_fact.person_version_at_purchase desc="Every sale points to the person's address period valid at its purchase time."
-- @test: range(price >= 0)
-- @test: expression(shipping_limit_date <= purchased_at + interval '1 year') severity=warn name=orders_fact.shipping_limit_far_future desc="An item's shipping deadline is within a year of the purchase."

with order_items as (

    select * from {{ ref('stg_order_items') }}

),

orders as (

    select * from {{ ref('stg_orders') }}

),

time_dim as (

    select * from {{ ref('time_dim') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

products as (

    select * from {{ ref('products_dim') }}

),

sellers as (

    select * from {{ ref('sellers_dim') }}

),

people as (

    select * from {{ ref('people_dim') }}

),

joined as (

    select
        order_items.*,
        orders.customer_id,
        orders.order_status,
        orders.purchased_at,
        orders.approved_at,
        orders.delivered_carrier_at,
        orders.delivered_customer_at,
        orders.estimated_delivery_at
    from order_items
    -- every item has its order (FK enforced in the source): inner joins lose nothing
    inner join orders
        on orders.order_id = order_items.order_id

),

final as (

    select
        -- keys
        {{ surrogate_key('joined.order_id', 'joined.order_item_id') }} as order_item_key,
        customers.customer_key,
        people.person_key,
        products.product_key,
        sellers.seller_key,
        purchase_day.date_key as purchase_date_key,

        -- degenerate dimensions
        joined.order_id,
        joined.order_item_id,
        joined.order_status,

        -- measures (BRL)
        joined.price,
        joined.freight_value,
        joined.item_total,

        -- timestamps
        joined.shipping_limit_date,
        joined.purchased_at,
        joined.approved_at,
        joined.delivered_carrier_at,
        joined.delivered_customer_at,
        joined.estimated_delivery_at,

        -- time of purchase (local time). Portuguese labels, like the season and holiday names:
        -- madrugada 0-5h, manhã 6-11h, tarde 12-17h, noite 18-23h
        extract(hour from joined.purchased_at)::int as purchase_hour,
        case
            when extract(hour from joined.purchased_at) < 6 then 'madrugada'
            when extract(hour from joined.purchased_at) < 12 then 'manhã'
            when extract(hour from joined.purchased_at) < 18 then 'tarde'
            else 'noite'
        end as part_of_day,

        -- flags: revenue excludes orders that never turned into a sale
        joined.order_status not in ('canceled', 'unavailable') as is_revenue,
        -- seller handed the item to the carrier after its deadline (null when not shipped)
        joined.delivered_carrier_at > joined.shipping_limit_date as is_shipped_late

    from joined
    -- left joins: a key missing from a dimension (the source declares these foreign keys but
    -- nothing enforces them at ingest) leaves the key null instead of silently dropping revenue
    left join customers
        on customers.customer_id = joined.customer_id
    -- point in time: the version of the seller, product and person valid at the purchase
    left join people
        on people.customer_unique_id = customers.customer_unique_id
        and joined.purchased_at >= people.valid_from
        and (joined.purchased_at < people.valid_to or people.valid_to is null)
    left join products
        on products.product_id = joined.product_id
        and joined.purchased_at >= products.valid_from
        and (joined.purchased_at < products.valid_to or products.valid_to is null)
    left join sellers
        on sellers.seller_id = joined.seller_id
        and joined.purchased_at >= sellers.valid_from
        and (joined.purchased_at < sellers.valid_to or sellers.valid_to is null)
    -- the date dimension covers every date of the data, so the inner join loses nothing
    inner join time_dim as purchase_day
        on purchase_day.date = joined.purchased_at::date

)

select * from final

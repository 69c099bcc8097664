-- @materialized: view
-- @description: View for ad hoc analysis, grain one order item: the sales fact with its order's delivery and review, the product's category, the seller's and the customer's places and the purchase calendar already joined (on the surrogate keys). Left joins on unique keys, so PostgreSQL drops the joins a query does not use.

with items as (

    select * from {{ ref('orders_fact') }}

),

orders as (

    select * from {{ ref('order_fulfillment_fact') }}

),

products as (

    select * from {{ ref('products_dim') }}

),

sellers as (

    select * from {{ ref('sellers_dim') }}

),

customers as (

    select * from {{ ref('customers_dim') }}

),

calendar as (

    select * from {{ ref('time_dim') }}

),

final as (

    select
        -- keys
        items.order_item_key,
        items.order_id,
        items.order_item_id,
        items.product_key,
        items.seller_key,
        items.customer_key,

        -- status
        items.order_status,
        items.is_revenue,

        -- purchase time: filter on purchase_date (it reaches the facts' purchase_date_key index)
        items.purchased_at,
        calendar.date as purchase_date,
        calendar.month_start as purchase_month,
        calendar.year as purchase_year,
        calendar.day_of_week as purchase_day_of_week,
        calendar.day_name as purchase_day_name,
        calendar.is_weekend,
        calendar.is_holiday,
        calendar.holiday_name,
        items.purchase_hour,
        items.part_of_day,

        -- money (BRL)
        items.price,
        items.freight_value,
        items.item_total,

        -- product
        products.product_id,
        products.category_name_en as category,
        products.category_name as category_pt,

        -- seller
        sellers.seller_id,
        sellers.city as seller_city,
        sellers.state as seller_state,
        sellers.region as seller_region,

        -- customer (customer_unique_id is the person)
        customers.customer_unique_id,
        customers.city as customer_city,
        customers.state as customer_state,
        customers.region as customer_region,

        -- the order's delivery and review (shared by its items)
        items.shipping_limit_date,
        items.delivered_carrier_at,
        items.delivered_customer_at,
        items.estimated_delivery_at,
        orders.is_delivered,
        orders.is_late,
        orders.delivery_days,
        orders.delay_days,
        orders.review_score

    from items
    left join orders
        on orders.order_id = items.order_id
    left join products
        on products.product_key = items.product_key
    left join sellers
        on sellers.seller_key = items.seller_key
    left join customers
        on customers.customer_key = items.customer_key
    left join calendar
        on calendar.date_key = items.purchase_date_key

)

select * from final

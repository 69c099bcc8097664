-- @materialized: view
-- @description: View for ad hoc analysis, grain one order (every status): the order snapshot with its totals, payments, review and delivery durations, the customer's place and the purchase calendar already joined (on the surrogate keys). Left joins on unique keys, so PostgreSQL drops the joins a query does not use.

with orders as (

    select * from {{ ref('order_fulfillment_fact') }}

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
        orders.order_key,
        orders.order_id,
        orders.customer_key,

        -- status
        orders.order_status,
        orders.is_revenue,
        orders.is_delivered,

        -- purchase time: filter on purchase_date (it reaches the fact's purchase_date_key index)
        orders.purchased_at,
        calendar.date as purchase_date,
        calendar.month_start as purchase_month,
        calendar.year as purchase_year,
        calendar.day_of_week as purchase_day_of_week,
        calendar.day_name as purchase_day_name,
        calendar.is_weekend,
        calendar.is_holiday,
        extract(hour from orders.purchased_at)::int as purchase_hour,

        -- customer (customer_unique_id is the person)
        customers.customer_unique_id,
        customers.city as customer_city,
        customers.state as customer_state,
        customers.state_name as customer_state_name,
        customers.region as customer_region,

        -- totals (BRL)
        orders.items,
        orders.sellers,
        orders.item_value,
        orders.freight_value,
        orders.order_value,
        orders.payments,
        orders.payment_value,

        -- milestones and durations (days, hours for approval)
        orders.approved_at,
        orders.delivered_carrier_at,
        orders.delivered_customer_at,
        orders.estimated_delivery_at,
        orders.approval_hours,
        orders.carrier_days,
        orders.delivery_days,
        orders.estimated_days,
        orders.delay_days,
        orders.is_late,
        orders.is_shipped_late,

        -- satisfaction
        orders.review_score,
        orders.has_review

    from orders
    left join customers
        on customers.customer_key = orders.customer_key
    left join calendar
        on calendar.date_key = orders.purchase_date_key

)

select * from final

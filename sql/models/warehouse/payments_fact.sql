-- @primary_key: payment_key
-- @unique: order_id, payment_sequential
-- @references: customer_key -> customers_dim(customer_key)
-- @references: purchase_date_key -> time_dim(date_key)
-- @index: order_id
-- @index: purchase_date_key
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ touched('stg_order_payments') }}
-- @incremental_scope: select order_id from {{ touched('stg_orders') }}
-- @incremental_scope: select order_id from {{ ref('stg_orders') }} where customer_id in (select customer_id from {{ touched('customers_dim') }})
-- @description: Payment fact, grain one payment of an order (method, installments, value).
-- @test: reconcile(count = ref('stg_order_payments')) name=payments_fact.reconcile.staging desc="Every staged payment is in the payment fact."
-- @test: not_null(customer_key) desc="Every payment points to its customer."

with payments as (

    select * from {{ ref('stg_order_payments') }}

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

final as (

    select
        -- keys
        {{ surrogate_key('payments.order_id', 'payments.payment_sequential') }} as payment_key,
        customers.customer_key,
        purchase_day.date_key as purchase_date_key,

        -- degenerate dimensions
        payments.order_id,
        payments.payment_sequential,
        payments.payment_type,
        orders.order_status,

        -- measures
        payments.payment_installments,
        payments.payment_value,

        -- flags
        orders.order_status not in ('canceled', 'unavailable') as is_revenue

    from payments
    inner join orders
        on orders.order_id = payments.order_id
    -- left joins: a key missing from a dimension (the source declares these foreign keys but
    -- nothing enforces them at ingest) leaves the key null instead of silently dropping revenue
    left join customers
        on customers.customer_id = orders.customer_id
    -- the date dimension covers every date of the data, so the inner join loses nothing
    inner join time_dim as purchase_day
        on purchase_day.date = orders.purchased_at::date

)

select * from final

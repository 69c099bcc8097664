-- @primary_key: order_id, payment_sequential
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ changed('order_payments') }}
-- @description: One row per payment of an order (several methods or vouchers give several rows).
-- @test: reconcile(count = source('order_payments')) name=stg_order_payments.reconcile.raw desc="Every loaded payment reaches staging."
-- @test: range(payment_value >= 0)

with payments as (

    select * from {{ source('order_payments') }}

),

renamed as (

    select
        -- ids
        order_id,
        payment_sequential,

        -- attributes
        payment_type,
        -- 0 installments occurs on a few credit-card rows: kept as given, it means "not in installments"
        payment_installments,

        -- measures (BRL)
        payment_value,

        -- lineage
        _line as source_line

    from payments

)

select * from renamed

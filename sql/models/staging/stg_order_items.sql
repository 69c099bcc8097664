-- @primary_key: order_id, order_item_id
-- @index: product_id
-- @index: seller_id
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ changed('order_items') }}
-- @description: One row per item of an order (two units of a product are two rows).
-- @test: reconcile(count = source('order_items')) name=stg_order_items.reconcile.raw desc="Every loaded order item reaches staging."
-- @test: range(price >= 0)
-- @test: range(freight_value >= 0)

with order_items as (

    select * from {{ source('order_items') }}

),

renamed as (

    select
        -- ids
        order_id,
        order_item_id,
        product_id,
        seller_id,

        -- measures (BRL); freight is already split per item by Olist
        price,
        freight_value,
        round(price + freight_value, 2)::numeric(14,2) as item_total,

        -- timestamps
        shipping_limit_date,

        -- lineage
        _line as source_line

    from order_items

)

select * from renamed

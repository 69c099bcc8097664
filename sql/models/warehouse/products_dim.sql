-- @primary_key: product_key
-- @unique: product_id
-- @index: category_name
-- @incremental: product_id
-- @incremental_scope: select product_id from {{ touched('stg_products') }}
-- @description: One row per product with Portuguese and English category, listing attributes and package dimensions.
-- @test: reconcile(count = ref('stg_products')) name=products_dim.reconcile.staging desc="Every staged product is in the product dimension."

with products as (

    select * from {{ ref('stg_products') }}

),

final as (

    select
        -- keys
        {{ surrogate_key('product_id') }} as product_key,
        product_id,

        -- category ('unknown' when the source has none)
        category_name,
        category_name_en,
        has_category,
        is_category_untranslated,

        -- listing
        name_length,
        description_length,
        photos_qty,

        -- package
        weight_g,
        length_cm,
        height_cm,
        width_cm,
        volume_cm3

    from products

)

select * from final

-- @primary_key: product_id
-- @incremental: product_id
-- @incremental_scope: select product_id from {{ touched('stg_product_versions') }}
-- @description: One row per product as it is today (its version with the latest effective time) with category (fallback 'unknown'), English category name (fallback Portuguese) and package volume.
-- @test: reconcile(count = source('products')) name=stg_products.reconcile.raw desc="Every loaded product reaches staging."
-- @test: expression(has_category) severity=warn name=stg_products.without_category desc="Products have a category (those without one are shown as 'unknown')."
-- @test: relationships(category_name -> stg_category_translation(category_name)) severity=warn name=stg_products.category_untranslated desc="Every product category has an English translation (untranslated ones keep the Portuguese name)." where has_category

with versions as (

    select * from {{ ref('stg_product_versions') }}

),

-- today's product: the version with the latest effective time, which is what raw.products holds
-- (the category and volume rules live in stg_product_versions, once)
current_version as (

    select distinct on (product_id) *
    from versions
    order by product_id, effective_from desc

),

final as (

    select
        -- ids
        product_id,

        -- category ('unknown' when the source has none)
        category_name,
        category_name_en,
        has_category,
        is_category_untranslated,

        -- listing attributes
        name_length,
        description_length,
        photos_qty,

        -- package dimensions
        weight_g,
        length_cm,
        height_cm,
        width_cm,
        volume_cm3,

        -- lineage
        source_line

    from current_version

)

select * from final

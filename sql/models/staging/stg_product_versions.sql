-- @primary_key: product_id, effective_from
-- @incremental: product_id
-- @incremental_scope: select product_id from {{ changed('products') }}
-- @incremental_scope: select product_id from {{ source('products_versions') }} where product_category_name in (select category_name from {{ touched('stg_category_translation') }})
-- @description: Every version of every product received (the full load's file row, then each version the feed sent), with the time it takes effect from ('-infinity' for a version valid since the beginning), category (fallback 'unknown'), English category name (fallback Portuguese) and package volume.
-- @test: reconcile(count = source('products_versions')) name=stg_product_versions.reconcile.raw desc="Every received product version reaches staging."

with products as (

    select * from {{ source('products_versions') }}

),

translation as (

    select * from {{ ref('stg_category_translation') }}

),

final as (

    select
        -- ids
        products.product_id,
        -- a version without an effective time (the Kaggle file's) holds since the beginning
        coalesce(products.product_effective_from, '-infinity') as effective_from,

        -- category: products without one are kept under 'unknown' rather than dropped, so
        -- their sales still count; categories absent from the translation table keep their
        -- Portuguese name as English name instead of becoming null.
        coalesce(products.product_category_name, 'unknown') as category_name,
        case
            when products.product_category_name is null then 'unknown'
            else coalesce(translation.category_name_en, products.product_category_name)
        end as category_name_en,
        products.product_category_name is not null as has_category,
        (products.product_category_name is not null
            and translation.category_name is null) as is_category_untranslated,

        -- listing attributes (source headers were misspelled "lenght"; fixed at ingest)
        products.product_name_length as name_length,
        products.product_description_length as description_length,
        products.product_photos_qty as photos_qty,

        -- package dimensions
        products.product_weight_g as weight_g,
        products.product_length_cm as length_cm,
        products.product_height_cm as height_cm,
        products.product_width_cm as width_cm,
        -- null when any dimension is missing: a partial volume would be wrong, not just less precise
        (products.product_length_cm::bigint * products.product_height_cm * products.product_width_cm) as volume_cm3,

        -- lineage; arrival = the feed batch that delivered the version (ordinal, 0 = the full
        -- load's file), then its line: type 1 columns follow the latest version received
        products._line as source_line,
        products._arrival as arrival

    from products
    left join translation
        on translation.category_name = products.product_category_name

)

select * from final

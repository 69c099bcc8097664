-- @primary_key: category_name
-- @unique: category_name_en
-- @description: Portuguese product category name to English (71 rows; a few categories used by products are missing).
-- @test: reconcile(count = source('category_translation')) name=stg_category_translation.reconcile.raw desc="Every loaded category translation reaches staging."

with translation as (

    select * from {{ source('category_translation') }}

),

renamed as (

    select
        -- the BOM of the file is stripped at ingest; trim guards against stray spaces/CR
        trim(product_category_name) as category_name,
        trim(product_category_name_english) as category_name_en

    from translation

)

select * from renamed

-- @primary_key: category_name, product_id
-- @incremental_additive: revenue_items
-- @description: Sums per product category at the time of the sale and product, of revenue_items (items whose product is in the catalog): orders (one flag per order and category), items and GMV. One row per product sold in a category, so revenue_by_category counts its products as rows; the feed adds a batch's change of revenue_items to the products it touched.

with revenue_items as (

    select * from {{ ref('revenue_items') }}

),

final as (

    select
        -- category at the time of the sale, and product
        category_name,
        product_id,
        min(category_name_en) as category_name_en,

        -- sums
        sum(first_in_category_name)::int as orders,
        count(*)::int as items,
        sum(item_total)::numeric(14,2) as gmv

    from revenue_items
    where product_id is not null
    group by category_name, product_id

)

select * from final

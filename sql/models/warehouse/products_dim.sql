-- @primary_key: product_key
-- @unique: product_id, version
-- @incremental: product_id
-- @incremental_scope: select product_id from {{ touched('stg_product_versions') }}
-- @description: Type 2 on the category: one row per product and category period (version), valid from valid_from (inclusive) to valid_to (exclusive; null for the current version). Listing attributes and package dimensions are type 1: every version shows the product's latest values.
-- @test: reconcile(count = ref('stg_products')) name=products_dim.reconcile.staging desc="Every staged product has exactly one current version in the product dimension." where is_current
-- @test: scd2(product_id) name=products_dim.history desc="The versions of a product follow each other without overlap or gap, and exactly one of them (the last) is current."

with versions as (

    select * from {{ ref('stg_product_versions') }}

),

-- a received version opens a new period only when the category (type 2) differs from the
-- version before it in effective order; a weight or size correction alone adds no version
changes as (

    select
        versions.*,
        lag(versions.effective_from) over by_time is null
            or (category_name, category_name_en) is distinct from
               (lag(category_name) over by_time, lag(category_name_en) over by_time) as opens_period
    from versions
    window by_time as (partition by product_id order by effective_from)

),

periods as (

    select
        changes.*,
        count(*) filter (where opens_period) over (partition by product_id order by effective_from rows unbounded preceding) as version
    from changes

),

versioned as (

    select
        product_id,
        version::int as version,
        -- the first version holds since the beginning of time: every sale finds its product
        case when version = 1 then timestamp '1900-01-01' else effective_from end as valid_from,
        lead(effective_from) over (partition by product_id order by effective_from) as valid_to,
        category_name,
        category_name_en,
        has_category,
        is_category_untranslated
    from periods
    where opens_period

),

-- type 1 columns: the values of the latest version received (by arrival, then line, whatever
-- date it is effective from), shown on every version: a correction of a measurement is true for
-- the past too, and one dated before a version already recorded must still win
latest as (

    select distinct on (product_id) *
    from versions
    order by product_id, arrival desc, source_line desc

),

final as (

    select
        -- keys: one surrogate per version, derived from the natural key and the version's start
        {{ surrogate_key('versioned.product_id', 'versioned.valid_from') }} as product_key,
        versioned.product_id,

        -- validity: [valid_from, valid_to); valid_to null for the current version
        versioned.version,
        versioned.valid_from,
        versioned.valid_to,
        versioned.valid_to is null as is_current,

        -- category (type 2; 'unknown' when the source has none)
        versioned.category_name,
        versioned.category_name_en,
        versioned.has_category,
        versioned.is_category_untranslated,

        -- listing (type 1)
        latest.name_length,
        latest.description_length,
        latest.photos_qty,

        -- package (type 1)
        latest.weight_g,
        latest.length_cm,
        latest.height_cm,
        latest.width_cm,
        latest.volume_cm3

    from versioned
    inner join latest
        on latest.product_id = versioned.product_id

)

select * from final

-- @primary_key: seller_key
-- @unique: seller_id, version
-- @incremental: seller_id
-- @incremental_scope: select seller_id from {{ touched('stg_seller_versions') }}
-- @incremental_scope: select seller_id from {{ ref('stg_seller_versions') }} where zip_code_prefix in (select zip_code_prefix from {{ touched('stg_geolocation') }})
-- @incremental_scope: select seller_id from {{ ref('stg_seller_versions') }} where state in (select state from {{ touched('stg_state_regions') }})
-- @description: Type 2: one row per seller and location period (version), valid from valid_from (inclusive) to valid_to (exclusive; null for the current version), with location, state name, macro-region and prefix coordinates. Every column but the keys and validity is type 2.
-- @test: reconcile(count = ref('stg_sellers')) name=sellers_dim.reconcile.staging desc="Every staged seller has exactly one current version in the seller dimension." where is_current
-- @test: scd2(seller_id) name=sellers_dim.history desc="The versions of a seller follow each other without overlap or gap, and exactly one of them (the last) is current."
-- @test: not_null(region) desc="Every seller is placed in a macro-region."
-- @test: expression(has_geolocation) severity=warn name=sellers_dim.without_geolocation desc="Sellers' zip prefixes have coordinates (missing ones cannot be mapped)." where is_current

with versions as (

    select * from {{ ref('stg_seller_versions') }}

),

geolocation as (

    select * from {{ ref('stg_geolocation') }}

),

state_regions as (

    select * from {{ ref('stg_state_regions') }}

),

-- a received version opens a new period only when a type 2 attribute differs from the version
-- before it in effective order: the same location sent again (or a late correction repeating it)
-- adds no version
changes as (

    select
        versions.*,
        lag(versions.effective_from) over by_time is null
            or (zip_code_prefix, city, state) is distinct from
               (lag(zip_code_prefix) over by_time, lag(city) over by_time, lag(state) over by_time) as opens_period
    from versions
    window by_time as (partition by seller_id order by effective_from)

),

periods as (

    select
        seller_id,
        effective_from,
        zip_code_prefix,
        city,
        state,
        count(*) filter (where opens_period) over (partition by seller_id order by effective_from rows unbounded preceding) as version,
        opens_period
    from changes

),

versioned as (

    select
        seller_id,
        version::int as version,
        -- the first version holds since the beginning of time: every sale finds its seller
        case when version = 1 then timestamp '1900-01-01' else effective_from end as valid_from,
        lead(effective_from) over (partition by seller_id order by effective_from) as valid_to,
        zip_code_prefix,
        city,
        state
    from periods
    where opens_period

),

final as (

    select
        -- keys: one surrogate per version, derived from the natural key and the version's start
        -- (stable when a late correction splits the history before it)
        {{ surrogate_key('versioned.seller_id', 'versioned.valid_from') }} as seller_key,
        versioned.seller_id,

        -- validity: [valid_from, valid_to); valid_to null for the current version
        versioned.version,
        versioned.valid_from,
        versioned.valid_to,
        versioned.valid_to is null as is_current,

        -- location (type 2)
        versioned.zip_code_prefix,
        versioned.city,
        versioned.state,
        state_regions.state_name,
        state_regions.region,

        -- coordinates of the zip prefix; null when the prefix is absent from geolocation
        geolocation.latitude,
        geolocation.longitude,
        geolocation.zip_code_prefix is not null as has_geolocation

    from versioned
    left join geolocation
        on geolocation.zip_code_prefix = versioned.zip_code_prefix
    left join state_regions
        on state_regions.state = versioned.state

)

select * from final

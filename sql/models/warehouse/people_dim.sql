-- @primary_key: person_key
-- @unique: customer_unique_id, version
-- @incremental: customer_unique_id
-- @incremental_scope: select customer_unique_id from {{ ref('stg_customers') }} where customer_id in (select customer_id from {{ touched('stg_customers') }})
-- @incremental_scope: select c.customer_unique_id from {{ ref('stg_customers') }} c join {{ ref('stg_orders') }} o on o.customer_id = c.customer_id where o.order_id in (select order_id from {{ changed('orders', 'customer_id', 'order_purchase_timestamp') }})
-- @incremental_scope: select customer_unique_id from {{ ref('stg_customers') }} where zip_code_prefix in (select zip_code_prefix from {{ touched('stg_geolocation') }})
-- @incremental_scope: select customer_unique_id from {{ ref('stg_customers') }} where state in (select state from {{ touched('stg_state_regions') }})
-- @description: Type 2: one row per person (customer_unique_id) and address period, in purchase order: a new version starts with the first order from another address (zip prefix, city, state) than the order before. valid_from is that order's purchase time (the first version's: the person's first purchase), valid_to the next period's start (null for the current one). Orders of a person at the same purchase time count as one moment with the address of the order with the greatest customer_id, so periods never start twice at one instant.
-- @test: scd2(customer_unique_id) name=people_dim.history desc="The address periods of a person follow each other without overlap or gap, and exactly one of them (the last) is current."
-- @test: not_null(region) desc="Every address period is placed in a macro-region."

with customers as (

    select * from {{ ref('stg_customers') }}

),

orders as (

    select * from {{ ref('stg_orders') }}

),

geolocation as (

    select * from {{ ref('stg_geolocation') }}

),

state_regions as (

    select * from {{ ref('stg_state_regions') }}

),

-- each order-level customer id is one order (the source issues one per order) and says where the
-- person was when ordering; an order without a purchase time cannot be placed in time
placed as (

    select
        customers.customer_unique_id,
        customers.customer_id,
        customers.zip_code_prefix,
        customers.city,
        customers.state,
        orders.purchased_at
    from customers
    inner join orders
        on orders.customer_id = customers.customer_id
    where orders.purchased_at is not null

),

-- orders of one person at the same purchase time are one moment (they cannot be ordered in time):
-- its address is that of the order with the greatest customer_id (a fixed tie-break, so every build
-- gives the same periods), and no period starts and ends at the same instant. The moment's order
-- count is a window over the same partition, so one sort gives both
moments as (

    select distinct on (customer_unique_id, purchased_at)
        customer_unique_id,
        purchased_at,
        zip_code_prefix,
        city,
        state,
        count(*) over (partition by customer_unique_id, purchased_at)::int as orders
    from placed
    order by customer_unique_id, purchased_at, customer_id desc

),

-- a moment opens an address period when its address differs from the person's previous moment
changes as (

    select
        moments.*,
        lag(moments.purchased_at) over by_time is null
            or (zip_code_prefix, city, state) is distinct from
               (lag(zip_code_prefix) over by_time, lag(city) over by_time, lag(state) over by_time) as opens_period
    from moments
    window by_time as (partition by customer_unique_id order by purchased_at)

),

periods as (

    select
        changes.*,
        count(*) filter (where opens_period) over (partition by customer_unique_id order by purchased_at rows unbounded preceding) as version
    from changes

),

versioned as (

    select
        customer_unique_id,
        version::int as version,
        min(purchased_at) as valid_from,
        sum(orders)::int as orders,
        -- the address of the period (equal on all its moments)
        min(zip_code_prefix) as zip_code_prefix,
        min(city) as city,
        min(state) as state
    from periods
    group by customer_unique_id, version

),

bounded as (

    select
        versioned.*,
        lead(valid_from) over (partition by customer_unique_id order by version) as valid_to
    from versioned

),

final as (

    select
        -- keys: one surrogate per address period, from the person and the period's start
        {{ surrogate_key('bounded.customer_unique_id', 'bounded.valid_from') }} as person_key,
        bounded.customer_unique_id,

        -- validity: [valid_from, valid_to); valid_to null for the current address
        bounded.version,
        bounded.valid_from,
        bounded.valid_to,
        bounded.valid_to is null as is_current,

        -- address of the period (type 2)
        bounded.zip_code_prefix,
        bounded.city,
        bounded.state,
        state_regions.state_name,
        state_regions.region,

        -- coordinates of the zip prefix; null when the prefix is absent from geolocation
        geolocation.latitude,
        geolocation.longitude,
        geolocation.zip_code_prefix is not null as has_geolocation,

        -- activity: orders placed from this address
        bounded.orders

    from bounded
    left join geolocation
        on geolocation.zip_code_prefix = bounded.zip_code_prefix
    left join state_regions
        on state_regions.state = bounded.state

)

select * from final

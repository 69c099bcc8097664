-- @primary_key: state
-- @incremental: state
-- @incremental_scope: select state from {{ changes('delivered_orders') }}
-- @description: Delivery times per customer state over delivered orders (status delivered with a delivery date): average, median and p90 delivery days, estimated days, delay, late orders and late rate (fraction 0..1). Averages and the late rate come from delivery_state_totals; the median and p90 are read at their ranks off the (state, delivery days) index of delivered_orders, so the feed recomputes the states whose orders a batch touched without sorting them.
-- @test: reconcile(sum(delivered_orders) = count of ref('order_fulfillment_fact') where is_delivered) name=delivery_times_by_state.reconcile.delivered desc="Delivered orders by state add up to all delivered orders."

with totals as (

    select * from {{ ref('delivery_state_totals') }}

),

-- read by both walks below: not materialized, so that each of them walks the index
delivered_orders as not materialized (

    select * from {{ ref('delivered_orders') }}

),

-- where percentile_cont(p) reads the state's delivery days in order: at the 0-based
-- position p * (n - 1), between the values at its floor and its ceiling
positions as (

    select
        totals.*,
        percentile.p,
        percentile.p * (totals.delivered_orders - 1) as position
    from totals
    cross join (values (0.5::double precision), (0.9::double precision)) as percentile (p)

),

-- the two values from the floor of the position on, off the (state, delivery days) index of
-- delivered_orders: a walk of the index to that rank instead of a sort of the whole state, from
-- the nearer end (the p90 from the top: a tenth of the state's entries instead of nine tenths)
around as (

    select
        positions.*,
        nearest.pair
    from positions
    cross join lateral (
        select array_agg(ranked.delivery_days_order order by ranked.delivery_days_order) as pair
        from (
            (
                select delivered_orders.delivery_days_order
                from delivered_orders
                where delivered_orders.state = positions.state
                    and positions.p <= 0.5
                order by delivered_orders.delivery_days_order
                offset floor(positions.position)::bigint
                limit 2
            )
            union all
            (
                select delivered_orders.delivery_days_order
                from delivered_orders
                where delivered_orders.state = positions.state
                    and positions.p > 0.5
                order by delivered_orders.delivery_days_order desc
                offset greatest(positions.delivered_orders - 2 - floor(positions.position)::bigint, 0)
                limit 2
            )
        ) as ranked
    ) as nearest

),

-- percentile_cont's interpolation in its own double arithmetic, so the result is the same to the
-- bit, next to the state's sums (totals is read once, so a filter on the key reaches it)
percentiles as (

    select
        state,
        region,
        delivered_orders,
        delivery_days_sum,
        estimated_days_sum,
        delay_days_sum,
        late_orders,
        max(value) filter (where p = 0.5) as median_delivery_days,
        max(value) filter (where p = 0.9) as p90_delivery_days
    from (
        select
            around.*,
            case
                when position = floor(position) then pair[1]
                else pair[1] + (pair[2] - pair[1]) * (position - floor(position))
            end as value
        from around
    ) as interpolated
    group by state, region, delivered_orders, delivery_days_sum, estimated_days_sum, delay_days_sum, late_orders

),

final as (

    select
        -- customer geography
        percentiles.state,
        percentiles.region,

        -- volume
        percentiles.delivered_orders,

        -- durations in days (2 decimals; delay is negative when delivered early)
        round(percentiles.delivery_days_sum / percentiles.delivered_orders, 2)::numeric(10,2) as avg_delivery_days,
        round(percentiles.median_delivery_days::numeric, 2)::numeric(10,2) as median_delivery_days,
        round(percentiles.p90_delivery_days::numeric, 2)::numeric(10,2) as p90_delivery_days,
        round(percentiles.estimated_days_sum / percentiles.delivered_orders, 2)::numeric(10,2) as avg_estimated_days,
        round(percentiles.delay_days_sum / percentiles.delivered_orders, 2)::numeric(10,2) as avg_delay_days,

        -- lateness: delivered on a later calendar day than the estimate
        percentiles.late_orders,
        round(percentiles.late_orders::numeric / percentiles.delivered_orders, 4)::numeric(6,4) as late_rate

    from percentiles

)

select * from final
order by state

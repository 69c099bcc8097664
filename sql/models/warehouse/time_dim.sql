-- @primary_key: date_key
-- @unique: date
-- @index: year, month
-- @incremental_when: select not exists (select 1 from {{ ref('time_dim') }}) or exists (select 1 from (select least(o.purchased_at, o.approved_at, o.delivered_carrier_at, o.delivered_customer_at, o.estimated_delivery_at) as lo, greatest(o.purchased_at, o.approved_at, o.delivered_carrier_at, o.delivered_customer_at, o.estimated_delivery_at) as hi from {{ ref('stg_orders') }} o where o.order_id in (select order_id from {{ touched('stg_orders') }}) union all select shipping_limit_date, shipping_limit_date from {{ ref('stg_order_items') }} where order_id in (select order_id from {{ touched('stg_order_items') }}) union all select least(review_creation_date, review_answer_timestamp), greatest(review_creation_date, review_answer_timestamp) from {{ ref('stg_order_reviews') }} where order_id in (select order_id from {{ touched('stg_order_reviews') }})) d where d.lo::date < (select min(date) from {{ ref('time_dim') }}) or d.hi::date > (select max(date) from {{ ref('time_dim') }}))
-- @description: One row per calendar day (at least 2016-01-01..2018-12-31, widened to every date in the data) with ISO week, Brazilian national holidays and southern-hemisphere season.

with orders as (

    select * from {{ ref('stg_orders') }}

),

order_items as (

    select * from {{ ref('stg_order_items') }}

),

reviews as (

    select * from {{ ref('stg_order_reviews') }}

),

-- every date a fact can point to, so that any date key joins; never narrower than 2016-2018.
-- The earliest and latest timestamp of each table first (least/greatest skip nulls, as min/max
-- do): one pass per table instead of a union of every timestamp column
order_bounds as (

    select
        least(min(purchased_at), min(approved_at), min(delivered_carrier_at), min(delivered_customer_at), min(estimated_delivery_at)) as first_ts,
        greatest(max(purchased_at), max(approved_at), max(delivered_carrier_at), max(delivered_customer_at), max(estimated_delivery_at)) as last_ts
    from orders

),

item_bounds as (

    select
        min(shipping_limit_date) as first_ts,
        max(shipping_limit_date) as last_ts
    from order_items

),

review_bounds as (

    select
        least(min(review_creation_date), min(review_answer_timestamp)) as first_ts,
        greatest(max(review_creation_date), max(review_answer_timestamp)) as last_ts
    from reviews

),

bounds as (

    select
        least(date '2016-01-01', least(order_bounds.first_ts, item_bounds.first_ts, review_bounds.first_ts)::date) as first_day,
        greatest(date '2018-12-31', greatest(order_bounds.last_ts, item_bounds.last_ts, review_bounds.last_ts)::date) as last_day
    from order_bounds
    cross join item_bounds
    cross join review_bounds

),

-- extend to whole years so every year of the dimension is complete
days as (

    select generate_series(
        date_trunc('year', first_day),
        date_trunc('year', last_day) + interval '1 year' - interval '1 day',
        interval '1 day'
    )::date as date
    from bounds

),

years as (

    select distinct extract(year from date)::int as y from days

),

-- Easter Sunday, anonymous Gregorian algorithm (Meeus/Jones/Butcher), integer arithmetic only
easter_a as (

    select
        y,
        y % 19 as a,
        y / 100 as b,
        y % 100 as c
    from years

),

easter_b as (

    select
        y, a, c, b,
        b / 4 as d,
        b % 4 as e,
        (b - (b + 8) / 25 + 1) / 3 as g
    from easter_a

),

easter_c as (

    select
        y, a, e,
        (19 * a + b - d - g + 15) % 30 as h,
        c / 4 as i,
        c % 4 as k
    from easter_b

),

easter_d as (

    select
        y, a, h,
        (32 + 2 * e + 2 * i - h - k) % 7 as l
    from easter_c

),

easter as (

    select
        y,
        make_date(
            y,
            (h + l - 7 * ((a + 11 * h + 22 * l) / 451) + 114) / 31,
            (h + l - 7 * ((a + 11 * h + 22 * l) / 451) + 114) % 31 + 1
        ) as easter_sunday
    from easter_d

),

-- national holidays (federal law 662/1949, 6.802/1980, 10.607/2002); Carnaval and Good Friday
-- move with Easter. Carnaval is officially a "ponto facultativo" but universally observed.
holidays as (

    select make_date(y, 1, 1) as date, 'Confraternização Universal' as holiday_name from easter
    union all select easter_sunday - 48, 'Carnaval' from easter
    union all select easter_sunday - 47, 'Carnaval' from easter
    union all select easter_sunday - 2, 'Sexta-feira Santa' from easter
    union all select make_date(y, 4, 21), 'Tiradentes' from easter
    union all select make_date(y, 5, 1), 'Dia do Trabalho' from easter
    union all select make_date(y, 9, 7), 'Independência do Brasil' from easter
    union all select make_date(y, 10, 12), 'Nossa Senhora Aparecida' from easter
    union all select make_date(y, 11, 2), 'Finados' from easter
    union all select make_date(y, 11, 15), 'Proclamação da República' from easter
    union all select make_date(y, 12, 25), 'Natal' from easter

),

-- two holidays can fall on the same day (e.g. Tiradentes on Good Friday in 2000): one row per day
holidays_per_day as (

    select date, string_agg(holiday_name, ' / ' order by holiday_name) as holiday_name
    from holidays
    group by date

),

final as (

    select
        -- keys
        to_char(days.date, 'YYYYMMDD')::int as date_key,
        days.date,

        -- calendar
        extract(year from days.date)::int as year,
        extract(quarter from days.date)::int as quarter,
        extract(month from days.date)::int as month,
        -- English month/day names, built from a fixed list so output never depends on lc_time
        (array['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
               'September', 'October', 'November', 'December'])[extract(month from days.date)::int] as month_name,
        date_trunc('month', days.date)::date as month_start,
        extract(isoyear from days.date)::int as iso_year,
        extract(week from days.date)::int as iso_week,
        extract(day from days.date)::int as day_of_month,
        extract(doy from days.date)::int as day_of_year,
        extract(isodow from days.date)::int as day_of_week,
        (array['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday',
               'Sunday'])[extract(isodow from days.date)::int] as day_name,
        extract(isodow from days.date) in (6, 7) as is_weekend,

        -- holidays
        holidays_per_day.holiday_name,
        holidays_per_day.holiday_name is not null as is_holiday,

        -- southern-hemisphere season on fixed approximate dates (the astronomical equinox or
        -- solstice moves by a day between years; 1-day precision is not needed for reporting)
        case
            when to_char(days.date, 'MMDD') >= '1221' or to_char(days.date, 'MMDD') < '0320' then 'Verão'
            when to_char(days.date, 'MMDD') < '0621' then 'Outono'
            when to_char(days.date, 'MMDD') < '0922' then 'Inverno'
            else 'Primavera'
        end as season

    from days
    left join holidays_per_day
        on holidays_per_day.date = days.date

)

select * from final

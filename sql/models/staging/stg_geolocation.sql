-- @primary_key: zip_code_prefix
-- @description: One row per CEP prefix: median coordinates of the points inside Brazil, most frequent city and state.
-- @test: range(latitude between -33.75 and 5.27) desc="Prefix coordinates lie inside Brazil (latitude)."
-- @test: range(longitude between -73.99 and -34.79) desc="Prefix coordinates lie inside Brazil (longitude)."

with geolocation as (

    select * from {{ source('geolocation') }}

),

-- Brazil's bounding box (incl. islands): a few points are plotted in Europe, Africa or
-- the Atlantic because of swapped/garbled coordinates; they would drag the median and map
-- dots out of the country, so they are dropped before aggregation.
inside_brazil as (

    select *
    from geolocation
    where geolocation_lat between -33.75 and 5.27
      and geolocation_lng between -73.99 and -34.79

),

-- one row per prefix. The median is robust to the remaining outliers (e.g. a point of
-- the right state but the wrong city). mode() returns the most frequent value; on ties
-- PostgreSQL returns the first in the ordering, i.e. alphabetical, so reruns are identical.
-- City and state are chosen independently, so a prefix straddling a border may combine
-- the majority city of one with the majority state of the other (rare, accepted).
per_prefix as (

    select
        -- ids
        geolocation_zip_code_prefix as zip_code_prefix,

        -- coordinates
        percentile_cont(0.5) within group (order by geolocation_lat) as latitude,
        percentile_cont(0.5) within group (order by geolocation_lng) as longitude,

        -- labels
        mode() within group (order by geolocation_city) as city,
        mode() within group (order by geolocation_state) as state,

        -- measures
        count(*) as points_count

    from inside_brazil
    group by geolocation_zip_code_prefix

)

select * from per_prefix

-- Do Brazilian national holidays change daily sales? Average GMV per day on holidays, weekends and
-- working days (days without revenue count as zero).
with days as (
    select time_dim.date, time_dim.is_holiday, time_dim.is_weekend, coalesce(daily.gmv, 0) as gmv
    from warehouse.time_dim
    left join marts.daily_revenue as daily on daily.day = time_dim.date
    where time_dim.date between (select min(day) from marts.daily_revenue) and (select max(day) from marts.daily_revenue)
)
select
    case when is_holiday then 'holiday' when is_weekend then 'weekend' else 'working day' end as kind_of_day,
    count(*)                as days,
    round(avg(gmv), 2)      as avg_gmv_per_day
from days
group by 1
order by 1

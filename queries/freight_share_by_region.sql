-- How much of what customers pay is freight, by region? Freight as a share of GMV (items + freight)
-- by customer macro-region, over revenue items, from the routes mart (money adds up over routes;
-- orders would not: an order with sellers in two states is on two routes).
select
    customer_region,
    sum(freight_value)                                               as freight_value,
    sum(gmv)                                                         as gmv,
    round(sum(freight_value) / nullif(sum(gmv), 0), 4)               as freight_share
from marts.routes
group by customer_region
order by freight_share desc

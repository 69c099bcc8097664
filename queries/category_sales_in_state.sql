-- What sells in Rio de Janeiro in the last quarter of 2017? Revenue items by category for customers
-- in RJ, purchased October to December 2017: an ad hoc question on the wide item-level view.
select
    category,
    count(distinct order_id) as orders,
    count(*)                 as items,
    sum(item_total)          as gmv
from marts.v_order_items
where customer_state = 'RJ'
  and purchase_date between date '2017-10-01' and date '2017-12-31'
  and is_revenue
group by category
order by gmv desc, category
limit 10

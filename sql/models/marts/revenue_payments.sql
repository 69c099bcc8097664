-- @primary_key: order_id, payment_sequential
-- @incremental: order_id
-- @incremental_scope: select order_id from {{ changes('payments_fact', 'payment_sequential', 'payment_type', 'payment_installments', 'payment_value', 'is_revenue') }}
-- @description: One row per payment of a revenue order, with its slice of the payment mix (payment type and installments bucket) and a 0/1 flag on one payment per order and slice. What payment_slice_totals adds up: the flag turns the distinct orders of a slice into a sum, so a batch adds its own orders' change to the slices.

with payments as (

    select * from {{ ref('payments_fact') }}

),

-- what customers paid for orders that turned into a sale (the GMV rule); installments bucketed
-- because 1..24 installments are too many slices for a chart
sliced as (

    select
        order_id,
        payment_sequential,
        payment_type,
        case
            when payment_installments <= 1 then '0-1'
            when payment_installments <= 3 then '2-3'
            when payment_installments <= 6 then '4-6'
            when payment_installments <= 10 then '7-10'
            else '11+'
        end as installments_bucket,
        case
            when payment_installments <= 1 then 0
            when payment_installments <= 3 then 2
            when payment_installments <= 6 then 4
            when payment_installments <= 10 then 7
            else 11
        end as installments_min,
        payment_installments,
        payment_value
    from payments
    where is_revenue

),

final as (

    select
        -- the payment and its slice
        order_id,
        payment_sequential,
        payment_type,
        installments_bucket,
        installments_min,

        -- what was paid
        payment_installments,
        payment_value,

        -- one payment of each (order, slice) counts 1: a window over the order's own payments,
        -- which the feed's filter on the order reaches
        (row_number() over (partition by order_id, payment_type, installments_bucket order by payment_sequential) = 1)::int as first_in_slice

    from sliced

)

select * from final

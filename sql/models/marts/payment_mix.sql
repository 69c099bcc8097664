-- @primary_key: payment_type, installments_bucket
-- @description: Payments of revenue orders by payment type and number of installments (buckets 0-1, 2-3, 4-6, 7-10, 11+): payments, orders, value paid, average payment and the share of all value paid (fractions 0..1). Shares are of the whole: the feed recomputes it whole.
-- @test: reconcile(sum(value) = sum(payment_value) of ref('payments_fact') where is_revenue) name=payment_mix.reconcile.value desc="The payment mix adds up to every payment of the revenue orders."
-- @test: reconcile(sum(payments) = count of ref('payments_fact') where is_revenue) name=payment_mix.reconcile.payments desc="Payments by type and installments add up to the payments of the revenue orders."
-- @test: range(value_share between 0 and 1)

with payments as (

    select * from {{ ref('payments_fact') }}

),

-- what customers paid for orders that turned into a sale (the GMV rule); installments bucketed
-- because 1..24 installments are too many slices for a chart
revenue_payments as (

    select
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
        order_id,
        payment_installments,
        payment_value
    from payments
    where is_revenue

),

-- orders per slice, counted from the distinct (slice, order) pairs: hashing them costs a fraction
-- of count(distinct), which sorts every payment with all its columns
orders_per_slice as (

    select
        payment_type,
        installments_bucket,
        count(*) as orders
    from (select distinct payment_type, installments_bucket, order_id from revenue_payments) as pairs
    group by payment_type, installments_bucket

),

payments_per_slice as (

    select
        payment_type,
        installments_bucket,
        installments_min,
        count(*) as payments,
        avg(payment_installments) as avg_installments,
        sum(payment_value) as value
    from revenue_payments
    group by payment_type, installments_bucket, installments_min

),

mix as (

    select
        payments_per_slice.*,
        orders_per_slice.orders
    from payments_per_slice
    -- left joins: the counts come from the same rows, so every key is on both sides; a query that
    -- reads neither count (a reconciliation of the GMV) then skips computing them
    left join orders_per_slice
        on orders_per_slice.payment_type = payments_per_slice.payment_type
        and orders_per_slice.installments_bucket = payments_per_slice.installments_bucket

),

final as (

    select
        -- slice
        payment_type,
        installments_bucket,
        -- lower bound of the bucket, to sort the buckets
        installments_min,

        -- volumes
        payments::int as payments,
        orders::int as orders,
        round(avg_installments, 2)::numeric(6,2) as avg_installments,

        -- money (BRL)
        round(value, 2)::numeric(14,2) as value,
        round(value / payments, 2)::numeric(14,2) as avg_payment_value,

        -- shares of the whole (fractions 0..1)
        round(value / nullif(sum(value) over (), 0), 4)::numeric(6,4) as value_share,
        round(payments::numeric / sum(payments) over (), 4)::numeric(6,4) as payments_share

    from mix

)

select * from final
order by payment_type, installments_min

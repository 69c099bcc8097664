-- @primary_key: payment_type, installments_bucket, installments_min
-- @incremental_additive: revenue_payments
-- @description: Sums per slice of the payment mix (payment type and installments bucket) of revenue_payments: payments, orders (one flag per order and slice), installments and value. What payment_mix derives its averages and shares from; the feed adds a batch's change of revenue_payments to the slices it touched.

with revenue_payments as (

    select * from {{ ref('revenue_payments') }}

),

final as (

    select
        -- slice (the bucket's lower bound is in the key: a numeric column outside it would be summed)
        payment_type,
        installments_bucket,
        installments_min,

        -- sums
        count(*)::int as payments,
        sum(first_in_slice)::int as orders,
        sum(payment_installments)::bigint as installments,
        sum(payment_value)::numeric(14,2) as value

    from revenue_payments
    group by payment_type, installments_bucket, installments_min

)

select * from final

-- @primary_key: payment_type, installments_bucket
-- @description: Payments of revenue orders by payment type and number of installments (buckets 0-1, 2-3, 4-6, 7-10, 11+): payments, orders, value paid, average payment and the share of all value paid (fractions 0..1). Shares are of the whole: the feed recomputes it whole, from the dozen rows of payment_slice_totals.
-- @test: reconcile(sum(value) = sum(payment_value) of ref('payments_fact') where is_revenue) name=payment_mix.reconcile.value desc="The payment mix adds up to every payment of the revenue orders."
-- @test: reconcile(sum(payments) = count of ref('payments_fact') where is_revenue) name=payment_mix.reconcile.payments desc="Payments by type and installments add up to the payments of the revenue orders."
-- @test: range(value_share between 0 and 1)

with payment_slice_totals as (

    select * from {{ ref('payment_slice_totals') }}

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
        round(installments::numeric / payments, 2)::numeric(6,2) as avg_installments,

        -- money (BRL)
        round(value, 2)::numeric(14,2) as value,
        round(value / payments, 2)::numeric(14,2) as avg_payment_value,

        -- shares of the whole (fractions 0..1)
        round(value / nullif(sum(value) over (), 0), 4)::numeric(6,4) as value_share,
        round(payments::numeric / sum(payments) over (), 4)::numeric(6,4) as payments_share

    from payment_slice_totals

)

select * from final
order by payment_type, installments_min

-- How do customers pay? Share of the value paid by payment type and number of installments, for
-- orders not canceled/unavailable.
select
    payment_type,
    installments_bucket,
    payments,
    value,
    value_share
from marts.payment_mix
order by value desc

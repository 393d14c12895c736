-- grain: one row per day (UTC) and channel
-- checks: (availed_on, channel) is unique; redemptions > 0
with snapshots as (
    select * from staging.clr__clr__availed_coupon_snapshots
),

daily as (
    select
        cast(availed_at as date) as availed_on,
        channel,
        count(*) as redemptions,
        sum(amount) as amount_total
    from snapshots
    group by 1, 2
)

select * from daily

-- grain: one row per day (UTC) and channel
-- checks: (availed_on, channel) is unique; redemptions > 0
-- time zone: availed_at is a timestamptz, stored in UTC: floe's sessions run with the time zone
--   UTC (Snowflake TIMEZONE = 'UTC', DuckDB TimeZone = 'UTC'), so a TIMESTAMP_TZ lands at +00:00 and
--   cast(availed_at as date) is its UTC day on both warehouses. For a local day, convert first:
--   cast(convert_timezone('Europe/Paris', availed_at) as date) on Snowflake.
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

-- Demo source in PostgreSQL: coupons, users, and snapshots of coupons users availed.
DROP SCHEMA IF EXISTS clr CASCADE;
CREATE SCHEMA clr;

CREATE TABLE clr.coupons (
    id integer PRIMARY KEY,
    code varchar(16) NOT NULL,
    discount_cents integer NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE clr.users (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    signed_up_at timestamptz NOT NULL
);
CREATE TABLE clr.availed_coupon_snapshots (
    id bigint PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES clr.users (id),
    coupon_id integer NOT NULL REFERENCES clr.coupons (id),
    channel varchar(16) NOT NULL,
    amount numeric(12, 2) NOT NULL,
    availed_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX ON clr.availed_coupon_snapshots (updated_at);

INSERT INTO clr.coupons
SELECT g, 'SAVE' || g, 50 * (1 + g % 10), timestamptz '2025-10-01 00:00:00+00' + g * interval '1 hour'
FROM generate_series(1, 50) g;
INSERT INTO clr.users
SELECT g, 'user' || g || '@example.com', timestamptz '2025-09-01 00:00:00+00' + g * interval '7 minutes'
FROM generate_series(1, 5000) g;
INSERT INTO clr.availed_coupon_snapshots
SELECT g, 1 + g % 5000, 1 + g % 50, (ARRAY['app', 'web', 'store'])[1 + g % 3], (g % 997) + 0.99,
       timestamptz '2025-11-01 00:00:00+00' + g * interval '13 seconds',
       timestamptz '2025-11-01 00:00:00+00' + g * interval '13 seconds'
FROM generate_series(1, 100000) g;
ANALYZE;

-- Demo source in MySQL/MariaDB: orders.
DROP DATABASE IF EXISTS shop;
CREATE DATABASE shop CHARACTER SET utf8mb4;
USE shop;

CREATE TABLE orders (
    id bigint PRIMARY KEY,
    user_id bigint NOT NULL,
    status enum('placed', 'paid', 'shipped', 'cancelled') NOT NULL,
    total decimal(12, 2) NOT NULL,
    placed_at datetime(6) NOT NULL,
    updated_at timestamp(6) NOT NULL,
    KEY (updated_at)
);
INSERT INTO orders
SELECT seq, 1 + seq % 5000, ELT(1 + seq % 4, 'placed', 'paid', 'shipped', 'cancelled'), (seq % 1000) + 0.5,
       '2025-11-01 00:00:00' + INTERVAL seq * 17 SECOND, '2025-11-01 00:00:00' + INTERVAL seq * 17 SECOND
FROM seq_1_to_50000;

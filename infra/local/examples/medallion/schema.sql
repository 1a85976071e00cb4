-- The medallion example's tables. Bronze: orders as the shop writes them. Silver: orders_enriched,
-- written by the orders-enrich stream pipeline. Gold: daily_summary, written by the daily-summary job.
-- Idempotent: run it as often as you like (psql "$MEDALLION_DSN" -f schema.sql).
CREATE TABLE IF NOT EXISTS orders (
  id         bigint PRIMARY KEY,
  customer   text NOT NULL,
  country    text NOT NULL,
  qty        integer NOT NULL CHECK (qty > 0),
  unit_price numeric(12, 2) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orders_enriched (
  order_id   bigint PRIMARY KEY,
  customer   text NOT NULL,
  region     text NOT NULL,
  total      numeric(14, 2) NOT NULL,
  size       text NOT NULL,
  order_day  date NOT NULL,
  enriched_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS daily_summary (
  day        date PRIMARY KEY,
  orders     bigint NOT NULL,
  customers  bigint NOT NULL,
  revenue    numeric(16, 2) NOT NULL,
  large      bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

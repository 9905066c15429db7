-- A small shop: the sample database of the SQLite extractor, its tests and the docs.
-- Build it with:  sqlite3 examples/sample.db < examples/sample.sql
-- It exercises what the extractor reads: foreign keys with actions (one
-- DEFERRABLE INITIALLY DEFERRED), unique / partial / expression indexes, views
-- on views (four levels), triggers (one INSTEAD OF on a view), generated columns
-- (virtual and stored), a WITHOUT ROWID table, a STRICT table, an fts5 virtual
-- table, CHECK constraints, AUTOINCREMENT, a COLLATE NOCASE column and a table
-- whose name needs quoting.

PRAGMA foreign_keys = ON;
PRAGMA user_version = 3;
PRAGMA application_id = 1936224112;  -- 'shop'

BEGIN;

CREATE TABLE countries (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
) WITHOUT ROWID;

CREATE TABLE customers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL COLLATE NOCASE,
  name VARCHAR(120) NOT NULL,
  country_code TEXT NOT NULL DEFAULT 'US' REFERENCES countries (code) ON UPDATE CASCADE,
  created_at TEXT NOT NULL DEFAULT (datetime('now')),
  CONSTRAINT customers_email_unique UNIQUE (email),
  CHECK (length(name) > 0)
);

CREATE TABLE addresses (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  line1 TEXT NOT NULL,
  city TEXT NOT NULL,
  postal_code TEXT,
  country_code TEXT NOT NULL REFERENCES countries,
  is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1))
);

CREATE TABLE categories (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES categories (id) ON DELETE SET NULL,
  name TEXT NOT NULL
);

CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  category_id INTEGER REFERENCES categories (id) ON DELETE SET NULL ON UPDATE CASCADE,
  price_cents INTEGER NOT NULL CONSTRAINT price_not_negative CHECK (price_cents >= 0),
  vat_rate REAL NOT NULL DEFAULT 0.2,
  price_with_vat_cents INTEGER GENERATED ALWAYS AS (CAST(round(price_cents * (1 + vat_rate)) AS INTEGER)) VIRTUAL,
  discontinued BOOLEAN NOT NULL DEFAULT 0
);

CREATE TABLE orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id INTEGER NOT NULL,
  shipping_address_id INTEGER,
  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
  ordered_at TEXT NOT NULL,
  CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE RESTRICT,
  FOREIGN KEY (shipping_address_id) REFERENCES addresses (id)
    ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED
);

-- Order lines are always read by order: clustered on (order_id, line_no).
CREATE TABLE order_items (
  order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  line_no INTEGER NOT NULL,
  product_id INTEGER NOT NULL REFERENCES products (id),
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_cents INTEGER NOT NULL,
  line_total_cents INTEGER AS (quantity * unit_price_cents) STORED,
  PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID;

CREATE TABLE payments (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders (id),
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  method TEXT NOT NULL,
  paid_at TEXT NOT NULL,
  details ANY
) STRICT;

CREATE TABLE inventory (
  product_id INTEGER PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
  warehouse TEXT NOT NULL,
  on_hand INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT
);

CREATE TABLE suppliers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  contact_email TEXT
);

CREATE TABLE product_suppliers (
  product_id INTEGER NOT NULL REFERENCES products,
  supplier_id INTEGER NOT NULL REFERENCES suppliers ON DELETE CASCADE,
  cost_cents INTEGER,
  PRIMARY KEY (product_id, supplier_id)
);

CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  customer_id INTEGER REFERENCES customers (id) ON DELETE SET NULL,
  rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
  body TEXT
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL,
  row_id INTEGER NOT NULL,
  action TEXT NOT NULL,
  changed_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Imported from the old shop system; the name came with it.
CREATE TABLE "order.items ""legacy"" archive" (
  order_id INTEGER,
  line_no INTEGER,
  sku TEXT,
  quantity INTEGER,
  archived_at TEXT
);

CREATE VIRTUAL TABLE product_search USING fts5(name, description, tokenize = 'porter unicode61');

CREATE INDEX idx_orders_customer ON orders (customer_id, ordered_at DESC);
CREATE UNIQUE INDEX idx_customers_email_lower ON customers (lower(email));
CREATE INDEX idx_orders_open ON orders (ordered_at) WHERE status IN ('new', 'paid');
CREATE INDEX idx_products_name ON products (name COLLATE NOCASE);
CREATE UNIQUE INDEX idx_addresses_default ON addresses (customer_id) WHERE is_default = 1;
CREATE INDEX idx_reviews_product ON reviews (product_id, rating DESC);

-- Level 1: order lines with their product.
CREATE VIEW order_lines AS
SELECT oi.order_id, oi.line_no, oi.product_id, p.name AS product_name, oi.quantity,
       oi.unit_price_cents, oi.line_total_cents
FROM order_items AS oi
JOIN products AS p ON p.id = oi.product_id;

-- Level 2: one row per order.
CREATE VIEW order_totals AS
SELECT o.id AS order_id, o.customer_id, o.status, o.ordered_at,
       sum(ol.line_total_cents) AS total_cents, count(*) AS line_count
FROM orders AS o
JOIN order_lines AS ol ON ol.order_id = o.id
GROUP BY o.id;

-- Level 3: revenue per customer.
CREATE VIEW customer_revenue AS
SELECT c.id AS customer_id, c.email, c.name, sum(t.total_cents) AS revenue_cents,
       count(t.order_id) AS order_count
FROM customers AS c
JOIN order_totals AS t ON t.customer_id = c.id
WHERE t.status <> 'cancelled'
GROUP BY c.id;

-- Level 4.
CREATE VIEW top_customers AS
SELECT customer_id, email, revenue_cents
FROM customer_revenue
ORDER BY revenue_cents DESC
LIMIT 10;

CREATE VIEW open_orders AS
SELECT order_id, customer_id, ordered_at, total_cents
FROM order_totals
WHERE status IN ('new', 'paid');

CREATE TRIGGER trg_orders_status_audit AFTER UPDATE OF status ON orders
BEGIN
  INSERT INTO audit_log (table_name, row_id, action) VALUES ('orders', NEW.id, 'status:' || NEW.status);
END;

CREATE TRIGGER trg_products_search_insert AFTER INSERT ON products
BEGIN
  INSERT INTO product_search (rowid, name, description) VALUES (NEW.id, NEW.name, '');
END;

CREATE TRIGGER trg_open_orders_cancel INSTEAD OF DELETE ON open_orders
BEGIN
  UPDATE orders SET status = 'cancelled' WHERE id = OLD.order_id;
END;

INSERT INTO countries (code, name) VALUES ('DE', 'Germany'), ('FR', 'France'), ('US', 'United States');

INSERT INTO customers (email, name, country_code, created_at) VALUES
  ('ada@example.com', 'Ada Lovelace', 'US', '2024-01-05 10:00:00'),
  ('carl@example.de', 'Carl Gauss', 'DE', '2024-02-11 09:30:00'),
  ('marie@example.fr', 'Marie Curie', 'FR', '2024-03-20 16:45:00');

INSERT INTO addresses (customer_id, line1, city, postal_code, country_code, is_default) VALUES
  (1, '1 Analytical Way', 'London', 'N1 9GU', 'US', 1),
  (2, 'Gaussstrasse 7', 'Braunschweig', '38106', 'DE', 1),
  (3, '11 rue Pierre et Marie Curie', 'Paris', '75005', 'FR', 1);

INSERT INTO categories (id, parent_id, name) VALUES (1, NULL, 'Books'), (2, 1, 'Science'), (3, NULL, 'Tools');

INSERT INTO products (sku, name, category_id, price_cents, vat_rate) VALUES
  ('BK-001', 'Notes on the Analytical Engine', 2, 1999, 0.07),
  ('BK-002', 'Disquisitiones Arithmeticae', 2, 4550, 0.07),
  ('TL-001', 'Slide rule', 3, 2500, 0.2),
  ('TL-002', 'Geiger counter', 3, 12900, 0.2);

INSERT INTO inventory (product_id, warehouse, on_hand, updated_at) VALUES
  (1, 'north', 12, '2024-04-01'), (2, 'north', 3, '2024-04-01'), (3, 'south', 40, '2024-04-02'),
  (4, 'south', 2, '2024-04-02');

INSERT INTO suppliers (name, contact_email) VALUES ('Babbage & Sons', 'sales@babbage.example'),
  ('Instruments GmbH', 'info@instruments.example');
INSERT INTO product_suppliers (product_id, supplier_id, cost_cents) VALUES (1, 1, 900), (3, 2, 1200), (4, 2, 8000);

INSERT INTO orders (customer_id, shipping_address_id, status, ordered_at) VALUES
  (1, 1, 'paid', '2024-04-03 12:00:00'),
  (2, 2, 'shipped', '2024-04-04 08:15:00'),
  (1, 1, 'new', '2024-04-05 19:20:00'),
  (3, 3, 'cancelled', '2024-04-06 11:11:00');

INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_cents) VALUES
  (1, 1, 1, 1, 1999), (1, 2, 3, 2, 2500), (2, 1, 2, 1, 4550), (3, 1, 4, 1, 12900), (4, 1, 3, 1, 2500);

INSERT INTO payments (order_id, amount_cents, method, paid_at, details) VALUES
  (1, 6999, 'card', '2024-04-03 12:01:00', 'visa'),
  (2, 4550, 'transfer', '2024-04-04 09:00:00', NULL);

INSERT INTO reviews (product_id, customer_id, rating, body) VALUES
  (1, 2, 5, 'Visionary.'), (3, 3, 4, 'Precise enough.');

UPDATE orders SET status = 'shipped' WHERE id = 1;

INSERT INTO "order.items ""legacy"" archive" (order_id, line_no, sku, quantity, archived_at) VALUES
  (17, 1, 'OLD-9', 3, '2019-12-31');

COMMIT;

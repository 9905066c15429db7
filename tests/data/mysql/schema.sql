-- The main test database of the mysql extractor suites (loaded as root by
-- tests/support/mariadb_server.cpp and tests/cli/mariadb_server.py). It holds
-- every object kind the extractor reads, with hostile identifiers.
SET NAMES utf8mb4;
SET time_zone = '+00:00';
CREATE DATABASE connctl_shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci COMMENT 'the shop';
USE connctl_shop;

CREATE TABLE customers (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT COMMENT 'surrogate key',
  email VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name VARCHAR(100) NOT NULL DEFAULT 'anonymous',
  country CHAR(2) CHARACTER SET latin1 COLLATE latin1_swedish_ci NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  balance DECIMAL(12,2) NOT NULL DEFAULT 0.00,
  status ENUM('active','blocked') NOT NULL DEFAULT 'active',
  tags SET('a','b','c') NULL,
  notes TEXT,
  email_domain VARCHAR(255) AS (SUBSTRING_INDEX(email, '@', -1)) VIRTUAL,
  name_upper VARCHAR(100) AS (UPPER(name)) STORED,
  PRIMARY KEY (id),
  UNIQUE KEY uq_customers_email (email),
  KEY ix_customers_name_prefix (name(10), country DESC),
  FULLTEXT KEY ft_customers_notes (notes) COMMENT 'search',
  CONSTRAINT ck_customers_balance CHECK (balance >= 0)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='people who buy';

CREATE TABLE orders (
  id BIGINT NOT NULL AUTO_INCREMENT,
  customer_id INT UNSIGNED NOT NULL,
  placed_on DATE NOT NULL,
  total DECIMAL(12,2) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_orders_customer (customer_id),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
    ON DELETE CASCADE ON UPDATE RESTRICT
) ENGINE=InnoDB ROW_FORMAT=COMPACT AUTO_INCREMENT=1000;

CREATE TABLE order_lines (
  order_id BIGINT NOT NULL,
  line_no SMALLINT NOT NULL,
  sku VARCHAR(40) NOT NULL,
  qty INT NOT NULL DEFAULT 1 CHECK (qty > 0),
  PRIMARY KEY (order_id, line_no),
  CONSTRAINT fk_lines_order FOREIGN KEY (order_id) REFERENCES orders (id)
    ON DELETE NO ACTION ON UPDATE CASCADE
) ENGINE=InnoDB;

CREATE TABLE audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NULL,
  what VARCHAR(20) NOT NULL,
  at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  CONSTRAINT fk_audit_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE SET NULL
) ENGINE=InnoDB;

-- Range partitions with hash sub-partitions, and list-columns partitions.
CREATE TABLE events (
  id BIGINT NOT NULL,
  happened DATE NOT NULL,
  kind VARCHAR(20) NOT NULL,
  PRIMARY KEY (id, happened)
) ENGINE=InnoDB
PARTITION BY RANGE (YEAR(happened)) SUBPARTITION BY HASH (id) SUBPARTITIONS 2 (
  PARTITION p2024 VALUES LESS THAN (2025) COMMENT 'last year',
  PARTITION p2025 VALUES LESS THAN (2026),
  PARTITION pmax VALUES LESS THAN MAXVALUE
);

CREATE TABLE regional_sales (
  region VARCHAR(10) NOT NULL,
  amount INT NOT NULL
) ENGINE=InnoDB
PARTITION BY LIST COLUMNS (region) (
  PARTITION p_north VALUES IN ('north', 'arctic'),
  PARTITION p_south VALUES IN ('south')
);

-- Other engines and row formats; a spatial index.
CREATE TABLE places (
  id INT NOT NULL PRIMARY KEY,
  location POINT NOT NULL,
  label VARCHAR(50) NOT NULL,
  SPATIAL INDEX sx_places_location (location)
) ENGINE=Aria ROW_FORMAT=PAGE;

CREATE TABLE counters (
  id INT NOT NULL PRIMARY KEY,
  hits INT NOT NULL DEFAULT 0
) ENGINE=MyISAM ROW_FORMAT=FIXED;

-- Hostile identifiers: dots, quotes, spaces, backticks, unicode, 64
-- characters, reserved words, and a name that differs from another in case
-- only (the server compares names without case; the output does not).
CREATE TABLE `order.items "legacy" archive` (
  `unit.price` DECIMAL(10,2) NOT NULL,
  `first name` VARCHAR(40) NULL,
  `it's` INT NULL,
  `from` INT NULL,
  PRIMARY KEY (`unit.price`),
  UNIQUE KEY `uq "quoted".name` (`first name`(8))
) ENGINE=InnoDB;

CREATE TABLE `tick``tock` (
  `back``tick` INT NOT NULL,
  `ünïcødé 名前` VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL
) ENGINE=InnoDB;

CREATE TABLE `café_größe_日本` (
  `x` INT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE `a_table_name_that_is_exactly_sixty_four_characters_long_xxxxxxxx` (
  `a_column_name_that_is_exactly_sixty_four_characters_long_yyyyyyy` INT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE `Counters` (
  `Hits` BIGINT NULL
) ENGINE=InnoDB;

CREATE TABLE `select` (
  `order` INT NOT NULL,
  `group` INT NOT NULL,
  CONSTRAINT `check` CHECK (`order` < `group`)
) ENGINE=InnoDB;

CREATE SEQUENCE invoice_numbers START WITH 100 INCREMENT BY 5;

-- An ignored index, an invisible column, system versioning (MariaDB).
CREATE TABLE price_history (
  sku VARCHAR(40) NOT NULL PRIMARY KEY,
  price DECIMAL(10,2) NOT NULL,
  internal_note VARCHAR(40) NULL INVISIBLE,
  KEY ix_price_history_price (price) IGNORED
) ENGINE=InnoDB WITH SYSTEM VERSIONING;

-- Views: joins with aliases, a view on a view, a view on hostile names, a
-- view reading another database, a union.
CREATE VIEW customer_totals AS
  SELECT c.id AS customer_id, c.name, SUM(o.total) AS total, COUNT(*) AS orders
  FROM customers c JOIN orders o ON o.customer_id = c.id
  GROUP BY c.id, c.name;

CREATE SQL SECURITY INVOKER VIEW top_customers AS
  SELECT t.customer_id, t.name AS customer_name, t.total
  FROM customer_totals t WHERE t.total > 100;

CREATE ALGORITHM=MERGE VIEW `legacy view.v` AS
  SELECT `unit.price` AS price, `first name` AS who
  FROM `order.items "legacy" archive` WHERE `from` IS NULL
  WITH CASCADED CHECK OPTION;

CREATE VIEW all_parties AS
  SELECT email AS contact FROM customers
  UNION ALL
  SELECT `first name` FROM `order.items "legacy" archive`;

CREATE VIEW big_orders AS
  SELECT o.id, o.total, (SELECT cu.email FROM customers cu WHERE cu.id = o.customer_id) AS email
  FROM orders o WHERE o.total > (SELECT AVG(total) FROM orders);

-- Routines, triggers, events.
CREATE FUNCTION order_total(p_order BIGINT) RETURNS DECIMAL(12,2)
  DETERMINISTIC READS SQL DATA COMMENT 'sum of an order'
  RETURN (SELECT total FROM orders WHERE id = p_order);

DELIMITER ;;
CREATE PROCEDURE archive_orders(IN p_before DATE, OUT p_count INT, INOUT `p.note` VARCHAR(20))
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  SELECT COUNT(*) INTO p_count FROM orders WHERE placed_on < p_before;
  SET `p.note` = 'done';
END;;

-- A body wider than the ODBC layer's bound buffers.
CREATE PROCEDURE long_body()
BEGIN
  SET @n = 0;
  SET @n = @n + 1;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 2;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 3;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 4;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 5;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 6;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 7;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 8;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 9;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 10;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 11;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 12;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 13;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 14;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 15;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 16;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 17;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 18;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 19;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 20;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 21;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 22;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 23;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 24;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 25;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 26;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 27;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 28;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 29;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 30;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 31;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 32;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 33;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 34;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 35;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 36;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 37;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 38;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 39;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 40;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 41;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 42;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 43;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 44;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 45;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 46;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 47;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 48;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 49;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 50;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 51;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 52;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 53;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 54;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 55;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 56;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 57;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 58;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 59;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 60;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 61;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 62;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 63;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 64;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 65;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 66;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 67;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 68;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 69;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
  SET @n = @n + 70;  -- a long body: wider than one bound ODBC buffer (4 KiB), read in parts
END;;

CREATE TRIGGER orders_bi BEFORE INSERT ON orders FOR EACH ROW
BEGIN
  SET NEW.total = GREATEST(NEW.total, 0);
END;;
DELIMITER ;

CREATE TRIGGER orders_au AFTER UPDATE ON orders FOR EACH ROW
  INSERT INTO audit_log (order_id, what) VALUES (NEW.id, 'update');
CREATE TRIGGER orders_au_2 AFTER UPDATE ON orders FOR EACH ROW FOLLOWS orders_au
  INSERT INTO audit_log (order_id, what) VALUES (NEW.id, 'again');
CREATE TRIGGER `weird trigger.t` BEFORE DELETE ON `order.items "legacy" archive` FOR EACH ROW
  SET @deleted = OLD.`unit.price`;

CREATE EVENT purge_events ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00'
  ON COMPLETION PRESERVE DISABLE COMMENT 'nightly purge'
  DO DELETE FROM events WHERE happened < '2020-01-01';
CREATE EVENT one_shot ON SCHEDULE AT '2031-06-01 12:00:00' ON COMPLETION PRESERVE
  DO UPDATE counters SET hits = 0;

INSERT INTO customers (email, name, country, balance) VALUES
  ('ann@example.com', 'Ann', 'SE', 10), ('bob@example.org', 'Bob', 'NO', 250);
INSERT INTO orders (customer_id, placed_on, total) VALUES (1, '2025-01-02', 50), (2, '2025-02-03', 300);

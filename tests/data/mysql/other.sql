-- A second database with a hostile name (a dot and a space): a table, and a
-- view that reads the shop database, for lineage across databases. A third
-- database, connctl_empty, has nothing in it.
SET NAMES utf8mb4;
CREATE DATABASE `connctl.other db` CHARACTER SET latin1 COLLATE latin1_swedish_ci;
USE `connctl.other db`;

CREATE TABLE notes (
  id INT NOT NULL PRIMARY KEY,
  customer_id INT UNSIGNED NULL,
  body VARCHAR(200) NULL
) ENGINE=InnoDB;

CREATE VIEW customer_notes AS
  SELECT n.body, c.email
  FROM notes n LEFT JOIN connctl_shop.customers c ON c.id = n.customer_id;

CREATE DATABASE connctl_empty;

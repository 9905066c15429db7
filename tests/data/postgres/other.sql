-- A second database, for the databases = ["*"] tests.
CREATE SCHEMA inventory;
CREATE TABLE inventory.items (id integer PRIMARY KEY, label text NOT NULL);
CREATE VIEW inventory.labels AS SELECT label FROM inventory.items;
GRANT USAGE ON SCHEMA inventory TO connctl_reader, connctl_limited;

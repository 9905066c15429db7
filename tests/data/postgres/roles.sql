-- Cluster-wide roles of the PostgreSQL tests (passwords are set by the
-- fixture): a metadata reader and a reader without USAGE on one schema.
CREATE ROLE connctl_reader LOGIN;
CREATE ROLE connctl_limited LOGIN;

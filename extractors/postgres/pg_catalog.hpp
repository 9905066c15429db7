#pragma once
// Reads one PostgreSQL database's catalog (pg_catalog, never
// information_schema) with a fixed number of set-based COPY queries inside one
// REPEATABLE READ READ ONLY transaction, and streams it as entities in a fixed
// order: the database, then each schema followed by its relations (each with
// its columns, constraints, indexes, triggers and partitions), sequences and
// routines, then the database's lineage edges.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/cancel.hpp"
#include "extractors/extractor.hpp"
#include "extractors/postgres/pg_connection.hpp"
#include "schema/sink.hpp"

namespace connctl::extractors::postgres {

struct DatabaseOptions {
  std::string source;
  std::int64_t statement_timeout_ms = 300000;
  // Opens a second connection to the same database, which shares the
  // transaction's snapshot (pg_export_snapshot) and runs the slowest catalog
  // queries at the same time; unset: everything runs on one connection.
  std::function<std::unique_ptr<Connection>()> open_helper;
};

// Extracts the database `connection` is connected to. Returns the containers
// listed (the database and its schemas). Throws PgError on a failed query.
std::vector<schema::ContainerStatus> extract_database(Connection& connection,
                                                      const DatabaseOptions& options,
                                                      const ExtractRequest& request,
                                                      schema::EntitySink& sink,
                                                      const core::CancelToken& cancel);

// The incremental-sync hook: one cheap row per relation of the database, in
// a stable order. `stamp` changes whenever the relation's pg_class row is
// rewritten (any ALTER TABLE, a rename, a new column, a changed comment goes
// through pg_description and is covered by `comments_stamp` of the database).
struct RelationStamp {
  std::uint32_t oid = 0;
  std::string schema;
  std::string name;
  char kind = 'r';
  std::string stamp;  // "<xmin of the pg_class row>:<relfilenode>"
};
std::vector<RelationStamp> relation_stamps(Connection& connection);

// A digest (md5, server side) of the xmin of every catalog row that shapes
// the output of extract_database: an unchanged value means an unchanged
// catalog. Costs one scan of the catalogs, no rows transferred.
std::string catalog_signature(Connection& connection);

}  // namespace connctl::extractors::postgres

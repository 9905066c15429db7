#pragma once
// The catalog reader of the mysql extractor: a fixed number of set-based
// information_schema queries for all the databases read (never one per
// table), turned into entities, lineage and warnings in a deterministic order.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cancel.hpp"
#include "extractors/extractor.hpp"
#include "extractors/mysql/mysql_connection.hpp"
#include "schema/sink.hpp"

namespace connctl::extractors::mysql {

// `column` IN (the names as literals), cut into ORed lists of at most 500
// names; FALSE for none.
std::string in_list(const std::string& column, const std::vector<std::string>& names);

// information_schema, mysql, performance_schema, sys.
bool is_system_database(std::string_view name);

// The user databases the session can see, in byte order, that the filter may
// hold; `wanted` (when set) restricts them to those names.
std::vector<std::string> list_databases(Connection& connection, const Filter& filter,
                                        const std::optional<std::vector<std::string>>& wanted);

struct CatalogOptions {
  std::string source;
  // Sessions querying at once (1: everything on `connection`); helpers are
  // opened with open_helper.
  int parallelism = 3;
  std::function<std::unique_ptr<Connection>()> open_helper;
  // MariaDB: tables per slice of a database, each slice read on one session
  // (see Shard in mysql_catalog.cpp); 0: what the server's table cache holds
  // for every session at once.
  std::size_t tables_per_slice = 0;
};

// Reads `databases` (from list_databases) into the sink. Throws MysqlError
// for a failing query, core::Error(interrupted) when cancelled.
ExtractResult extract_catalog(Connection& connection, const CatalogOptions& options,
                              const std::vector<std::string>& databases,
                              const ExtractRequest& request, schema::EntitySink& sink,
                              const core::CancelToken& cancel);

}  // namespace connctl::extractors::mysql

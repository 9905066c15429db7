#pragma once
// The PostgreSQL catalog store: the SQLite store's tables and behaviour on a
// server that several connctl processes and daemons share. One libpq session
// per store object, serialised by a mutex: a store object may be called from
// many threads, but runs one sync's staging at a time (as the SQLite store).

#include <memory>
#include <string>

#include "catalog/store.hpp"

namespace connctl::catalog {

// Connects to postgresql://… or postgres://… (password from the URL,
// PGPASSWORD or the passfile), applies pending migrations and marks dead runs
// interrupted. Throws core::Error (connection: 3) when it cannot connect.
std::unique_ptr<CatalogStore> open_postgres_store(const std::string& url);

// The URL without its password (userinfo or `password=` parameter), for messages.
std::string strip_password(const std::string& url);

}  // namespace connctl::catalog

#include "support/pg_server.hpp"

#include <libpq-fe.h>

#include <fstream>
#include <memory>
#include <stdexcept>

#include "support/server_support.hpp"
#include "support/test_support.hpp"

namespace connctl::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_bin = "/usr/lib/postgresql/15/bin";

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

std::unique_ptr<PGconn, ConnDeleter> superuser_connection(const fs::path& dir, int port,
                                                          const std::string& database) {
  const std::string port_text = std::to_string(port);
  const char* keys[] = {"host", "port", "dbname", "user", nullptr};
  const char* values[] = {dir.c_str(), port_text.c_str(), database.c_str(), "postgres", nullptr};
  std::unique_ptr<PGconn, ConnDeleter> c(PQconnectdbParams(keys, values, 0));
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("test server: ") + PQerrorMessage(c.get()));
  return c;
}

}  // namespace

PgServer& PgServer::instance() {
  static PgServer server;
  return server;
}

PgServer::PgServer() {
  m_dir = make_server_dir("connctl-pg");
  try {
    start();
  } catch (...) {
    stop();
    throw;
  }
}

PgServer::~PgServer() {
  stop();
}

void PgServer::start() {
  const fs::path log = m_dir / "setup.log";
  if (run({std::string(k_bin) + "/initdb", "-D", (m_dir / "data").string(), "-U", "postgres", "-A",
           "trust", "-E", "UTF8", "--no-locale", "--no-sync"},
          log) != 0) {
    throw std::runtime_error("initdb failed: " + tail_of(log));
  }
  {
    // Written by the server user's directory owner: open as root is fine, the
    // file keeps initdb's owner.
    std::ofstream conf(m_dir / "data" / "postgresql.conf", std::ios::app);
    conf << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << m_dir.string() << "'\n"
         << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
         << "max_connections = 40\nshared_buffers = 32MB\n"
         << "password_encryption = 'scram-sha-256'\n";
    std::ofstream hba(m_dir / "data" / "pg_hba.conf", std::ios::trunc);
    hba << "local all postgres trust\n"
        << "host all postgres 127.0.0.1/32 trust\n"
        << "local all all scram-sha-256\n"
        << "host all all 127.0.0.1/32 scram-sha-256\n";
  }
  // Another process may take the port between our probe and the server's
  // bind: try a few.
  std::string error;
  for (int attempt = 0; attempt < 5 && !m_running; ++attempt) {
    m_port = free_port();
    int rc = run({std::string(k_bin) + "/pg_ctl", "-D", (m_dir / "data").string(), "-l",
                  (m_dir / "server.log").string(), "-w", "-t", "60", "-o",
                  "-p " + std::to_string(m_port), "start"},
                 log);
    if (rc == 0)
      m_running = true;
    else
      error = tail_of(m_dir / "server.log");
  }
  if (!m_running) throw std::runtime_error("the test server did not start: " + error);

  const fs::path data = source_dir() / "tests" / "data" / "postgres";
  exec("postgres", read_file(data / "roles.sql"));
  exec("postgres", std::string("ALTER ROLE ") + k_reader + " PASSWORD '" + k_reader_password +
                       "'; ALTER ROLE " + k_limited + " PASSWORD '" + k_limited_password + "'");
  exec("postgres", std::string("CREATE DATABASE ") + k_database);
  exec("postgres", std::string("CREATE DATABASE ") + k_other_database);
  exec(k_database, read_file(data / "schema.sql"));
  exec(k_other_database, read_file(data / "other.sql"));
  exec(k_database, "ANALYZE");
}

void PgServer::stop() noexcept {
  try {
    if (m_running) {
      run({std::string(k_bin) + "/pg_ctl", "-D", (m_dir / "data").string(), "-m", "immediate", "-w",
           "stop"},
          "/dev/null");
      m_running = false;
    }
    std::error_code ec;
    if (!m_dir.empty()) fs::remove_all(m_dir, ec);
  } catch (...) {
  }
}

void PgServer::restart_immediate() {
  int rc = run({std::string(k_bin) + "/pg_ctl", "-D", (m_dir / "data").string(), "-l",
                (m_dir / "server.log").string(), "-m", "immediate", "-w", "-t", "60", "-o",
                "-p " + std::to_string(m_port), "restart"},
               m_dir / "setup.log");
  if (rc != 0) throw std::runtime_error("pg_ctl restart failed: " + tail_of(m_dir / "server.log"));
}

void PgServer::exec(const std::string& database, const std::string& sql) const {
  auto c = superuser_connection(m_dir, m_port, database);
  std::unique_ptr<PGresult, ResultDeleter> r(PQexec(c.get(), sql.c_str()));
  auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error("test server SQL failed: " + std::string(PQerrorMessage(c.get())));
}

std::vector<std::string> PgServer::column(const std::string& database,
                                          const std::string& sql) const {
  auto c = superuser_connection(m_dir, m_port, database);
  std::unique_ptr<PGresult, ResultDeleter> r(PQexec(c.get(), sql.c_str()));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
    throw std::runtime_error("test server SQL failed: " + std::string(PQerrorMessage(c.get())));
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.emplace_back(PQgetvalue(r.get(), i, 0));
  return out;
}

std::string PgServer::value(const std::string& database, const std::string& sql) const {
  auto rows = column(database, sql);
  if (rows.empty()) throw std::runtime_error("no rows: " + sql);
  return rows.front();
}

}  // namespace connctl::testing

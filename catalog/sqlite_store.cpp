#include "catalog/sqlite_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <thread>

#include "catalog/live_index.hpp"
#include "catalog/migrations/sqlite_migrations.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "schema/value.hpp"

namespace connctl::catalog {
namespace {

// Long enough for another sync's apply transaction to finish on a big source.
constexpr int k_busy_timeout_ms = 120000;

// The database's clock in Unix milliseconds, for claim leases.
constexpr const char* k_now_ms = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

std::string now_iso() {
  return core::format_iso8601_utc(core::SystemClock().now());
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

bool process_alive(std::int64_t pid) {
  if (pid <= 0) return false;
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

std::string edge_columns_json(const schema::LineageEdge& edge) {
  schema::Array pairs;
  for (const auto& [from, to] : edge.columns) pairs.push_back(schema::Array{from, to});
  return schema::to_canonical_json(schema::Value(std::move(pairs)));
}

std::string observations_json(const schema::Entity& entity) {
  return schema::to_canonical_json(schema::Value(entity.observations));
}

std::string column_text(const SQLite::Column& c) {
  return c.isNull() ? std::string() : c.getString();
}

std::optional<std::string> optional_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

constexpr const char* k_run_columns =
    "id, source, job, trigger, scheduled_for, started_at, finished_at, status, added, changed, "
    "removed, unchanged, error, host, pid, signature";

RunInfo read_run(SQLite::Statement& q) {
  RunInfo r;
  r.id = std::to_string(q.getColumn(0).getInt64());
  r.source = q.getColumn(1).getString();
  r.job = column_text(q.getColumn(2));
  r.trigger = q.getColumn(3).getString();
  r.scheduled_for = optional_text(q.getColumn(4));
  r.started_at = q.getColumn(5).getString();
  r.finished_at = optional_text(q.getColumn(6));
  r.status = parse_run_status(q.getColumn(7).getString()).value_or(RunStatus::failed);
  r.added = q.getColumn(8).getInt64();
  r.changed = q.getColumn(9).getInt64();
  r.removed = q.getColumn(10).getInt64();
  r.unchanged = q.getColumn(11).getInt64();
  r.error = column_text(q.getColumn(12));
  r.host = q.getColumn(13).getString();
  r.pid = q.getColumn(14).getInt64();
  r.signature = optional_text(q.getColumn(15));
  return r;
}

std::int64_t parse_run_id(const std::string& run_id) {
  try {
    std::size_t used = 0;
    long long id = std::stoll(run_id, &used);
    if (used == run_id.size() && id > 0) return id;
  } catch (const std::exception&) {
  }
  core::throw_usage(fmt::format("'{}' is not a run id", run_id),
                    "run ids are numbers; 'connctl history' lists them");
}

class SqliteStore final : public CatalogStore {
 public:
  explicit SqliteStore(const std::filesystem::path& path)
      : m_path(path),
        m_db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, k_busy_timeout_ms),
        m_host(host_name()) {
    // Switching a new file to WAL needs it alone, and SQLite may report busy
    // without waiting when two processes create one catalog at once: retry.
    retry_while_busy([&] { m_db.exec("PRAGMA journal_mode = WAL"); });
    // WAL with NORMAL: a commit is atomic and survives a killed process.
    m_db.exec("PRAGMA synchronous = NORMAL");
    // A sync compares every staged row with its live version: keep the pages
    // in memory (a 64 MiB cache, reads through mmap) rather than one pread each,
    // and the staging tables in memory too.
    m_db.exec("PRAGMA cache_size = -65536");
    m_db.exec("PRAGMA mmap_size = 1073741824");
    m_db.exec("PRAGMA temp_store = MEMORY");
    // Foreign keys stay off while migrating: a migration may rebuild a table
    // others refer to; migrate() checks them before it commits.
    retry_while_busy([&] { migrate(); });
    m_db.exec("PRAGMA foreign_keys = ON");
    m_db.exec(
        "CREATE TEMP TABLE IF NOT EXISTS stage_entities (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
        "fqn TEXT NOT NULL, fingerprint TEXT NOT NULL, body TEXT, observations TEXT, state "
        "INTEGER NOT NULL)");
    m_db.exec(
        "CREATE TEMP TABLE IF NOT EXISTS stage_edges (from_fqn TEXT NOT NULL, to_fqn TEXT NOT "
        "NULL, kind TEXT NOT NULL, columns TEXT NOT NULL, PRIMARY KEY (from_fqn, to_fqn, kind))");
    mark_interrupted();
  }

  ~SqliteStore() override {
    try {
      if (m_staging) m_db.exec("ROLLBACK");
    } catch (const std::exception&) {
    }
  }

  std::string describe() const override { return "sqlite://" + m_path.string(); }

  std::string start_run(const RunStart& start) override {
    if (!start.claimed_by) return insert_run(start);
    end_staging();
    SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    std::string id = insert_run(start);
    auto link = prepared(
        "UPDATE job_claims SET run_id = ? WHERE job = ? AND scheduled_for = ? "
        "AND daemon_id = ? AND state = 'running'");
    link->bind(1, static_cast<std::int64_t>(std::stoll(id)));
    link->bind(2, start.job);
    link->bind(3, start.scheduled_for.value_or(""));
    link->bind(4, *start.claimed_by);
    if (link->exec() != 1) {
      core::throw_runtime(
          fmt::format("job '{}': the fire at {} is no longer claimed by daemon {}", start.job,
                      start.scheduled_for.value_or(""), *start.claimed_by),
          "another daemon took it over after this one's lease expired");
    }
    tx.commit();
    return id;
  }

  std::string insert_run(const RunStart& start) {
    auto prepared_insert = prepared(
        "INSERT INTO runs (source, job, trigger, scheduled_for, started_at, "
        "status, host, pid) VALUES (?, ?, ?, ?, ?, 'running', ?, ?)");
    SQLite::Statement& q = *prepared_insert;
    q.bind(1, start.source);
    if (start.job.empty()) {
      q.bind(2);
    } else {
      q.bind(2, start.job);
    }
    q.bind(3, start.trigger);
    if (start.scheduled_for) {
      q.bind(4, *start.scheduled_for);
    } else {
      q.bind(4);
    }
    q.bind(5, now_iso());
    q.bind(6, m_host);
    q.bind(7, static_cast<std::int64_t>(getpid()));
    q.exec();
    return std::to_string(m_db.getLastInsertRowid());
  }

  void finish_run(const std::string& run_id, RunStatus status, const std::string& error) override {
    end_staging();
    clear_stage();
    SQLite::Statement q(m_db,
                        "UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE id = ? AND "
                        "status = 'running'");
    q.bind(1, std::string(to_string(status)));
    q.bind(2, now_iso());
    if (error.empty()) {
      q.bind(3);
    } else {
      q.bind(3, error);
    }
    q.bind(4, parse_run_id(run_id));
    q.exec();
  }

  void begin_stage(std::string_view source) override {
    // The live state of the source, read once. An entity whose fingerprint is
    // unchanged is not staged at all (the bulk of a no-change sync), and when
    // no other sync of the source commits before this one applies, what
    // changed and what vanished is known here without comparing in SQL.
    // The sequence and the live rows in one read transaction (one snapshot):
    // a sync of the source committing between the two would otherwise pair
    // its rows with the sequence before it.
    end_staging();
    SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::DEFERRED);
    m_live.begin(source, committed_seq(source));
    {
      SQLite::Statement q(m_db,
                          "SELECT e.id, v.fingerprint FROM entities e JOIN versions v ON v.entity "
                          "= e.id AND v.valid_to_run IS NULL WHERE e.source = ?");
      q.bind(1, std::string(source));
      while (q.executeStep()) m_live.add_live(q.getColumn(0).getText(), q.getColumn(1).getText());
    }
    tx.commit();
  }

  void stage_entity(const schema::Entity& entity) override {
    const auto decision =
        m_live.classify(entity.id, entity.fingerprint, !entity.observations.empty());
    if (!decision.stage) return;
    const StageState state = decision.state;
    begin_staging();
    if (!m_stage_entity) {
      m_stage_entity = std::make_unique<SQLite::Statement>(
          m_db, "INSERT OR REPLACE INTO temp.stage_entities VALUES (?, ?, ?, ?, ?, ?, ?)");
    }
    auto& q = *m_stage_entity;
    q.reset();
    q.bind(1, entity.id);
    q.bind(2, std::string(schema::to_string(entity.kind)));
    q.bind(3, entity.fqn);
    q.bind(4, entity.fingerprint);
    // A NULL body means "the body of the version with this fingerprint"; the
    // apply reads it from there even if another sync closed that version since.
    if (state == StageState::unchanged) {
      q.bind(5);
    } else {
      q.bind(5, schema::canonical_body_json(entity));
    }
    if (entity.observations.empty()) {
      q.bind(6);
    } else {
      q.bind(6, observations_json(entity));
    }
    q.bind(7, static_cast<int>(state));
    q.exec();
  }

  void stage_edge(const schema::LineageEdge& edge) override {
    begin_staging();
    if (!m_stage_edge) {
      m_stage_edge = std::make_unique<SQLite::Statement>(
          m_db, "INSERT OR REPLACE INTO temp.stage_edges VALUES (?, ?, ?, ?)");
    }
    auto& q = *m_stage_edge;
    q.reset();
    q.bind(1, edge.from);
    q.bind(2, edge.to);
    q.bind(3, edge.kind);
    q.bind(4, edge_columns_json(edge));
    q.exec();
  }

  ApplyCounts apply(const std::string& run_id, const std::string& source, RunStatus status,
                    const std::string& error, const ApplyPolicy& policy) override {
    end_staging();
    const std::int64_t run = parse_run_id(run_id);
    ApplyCounts counts;
    {
      // The only write lock a sync takes: everything below is set-based.
      SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      const std::int64_t seq =
          m_db.execAndGet("SELECT coalesce(max(seq), 0) + 1 FROM runs").getInt64();

      m_db.exec("DROP TABLE IF EXISTS temp.apply_changed");
      m_db.exec("DROP TABLE IF EXISTS temp.apply_added");
      m_db.exec("DROP TABLE IF EXISTS temp.apply_removed");
      // What begin_stage saw still holds unless another sync of this source
      // committed since; then compare with the live versions as they are now.
      const bool live_unchanged = m_live.trusted(source, committed_seq(source));
      if (live_unchanged) {
        m_db.exec(
            fmt::format("CREATE TEMP TABLE apply_changed AS SELECT id FROM temp.stage_entities "
                        "WHERE state = {}",
                        static_cast<int>(StageState::changed)));
        m_db.exec(fmt::format(
            "CREATE TEMP TABLE apply_added AS SELECT id FROM temp.stage_entities WHERE state = {}",
            static_cast<int>(StageState::added)));
      } else {
        stage_unstaged();
        m_db.exec(
            "CREATE TEMP TABLE apply_changed AS SELECT s.id AS id FROM temp.stage_entities s "
            "JOIN versions v ON v.entity = s.id AND v.valid_to_run IS NULL "
            "WHERE v.fingerprint <> s.fingerprint");
        m_db.exec(
            "CREATE TEMP TABLE apply_added AS SELECT s.id AS id FROM temp.stage_entities s WHERE "
            "NOT EXISTS (SELECT 1 FROM versions v WHERE v.entity = s.id AND v.valid_to_run IS "
            "NULL)");
      }
      m_db.exec("CREATE TEMP TABLE apply_removed (id TEXT PRIMARY KEY)");
      counts.changed = m_db.execAndGet("SELECT count(*) FROM temp.apply_changed").getInt64();
      counts.added = m_db.execAndGet("SELECT count(*) FROM temp.apply_added").getInt64();
      const std::int64_t staged =
          m_db.execAndGet("SELECT count(*) FROM temp.stage_entities").getInt64() +
          (live_unchanged ? m_live.unstaged() : 0);
      counts.unchanged = staged - counts.added - counts.changed;

      std::int64_t live = 0;
      std::vector<std::string> removals;
      auto consider = [&](const std::string& id, const std::string& fqn) {
        if (policy.removable && policy.removable(fqn)) removals.push_back(id);
      };
      if (live_unchanged) {
        live = static_cast<std::int64_t>(m_live.index().size());
        SQLite::Statement fqn_of(m_db, "SELECT fqn FROM entities WHERE id = ?");
        std::vector<std::string> unseen;
        m_live.index().each([&](const Hex128& id, bool seen) {
          if (!seen) unseen.push_back(to_hex(id));
        });
        std::sort(unseen.begin(), unseen.end());
        for (const auto& id : unseen) {
          fqn_of.reset();
          fqn_of.bind(1, id);
          if (fqn_of.executeStep()) consider(id, fqn_of.getColumn(0).getString());
        }
      } else {
        SQLite::Statement q(m_db,
                            "SELECT e.id, e.fqn, NOT EXISTS (SELECT 1 FROM temp.stage_entities s "
                            "WHERE s.id = e.id) FROM entities e JOIN versions v ON v.entity = e.id "
                            "AND v.valid_to_run IS NULL WHERE e.source = ?");
        q.bind(1, source);
        while (q.executeStep()) {
          ++live;
          if (q.getColumn(2).getInt() != 0)
            consider(q.getColumn(0).getString(), q.getColumn(1).getString());
        }
      }
      if (policy.check_removals)
        policy.check_removals(static_cast<std::int64_t>(removals.size()), live);
      {
        SQLite::Statement ins(m_db, "INSERT INTO temp.apply_removed VALUES (?)");
        for (const auto& id : removals) {
          ins.reset();
          ins.bind(1, id);
          ins.exec();
        }
      }
      counts.removed = static_cast<std::int64_t>(removals.size());

      SQLite::Statement close(
          m_db,
          "UPDATE versions SET valid_to_run = ?, valid_to_seq = ? "
          "WHERE valid_to_run IS NULL AND (entity IN (SELECT id FROM "
          "temp.apply_changed) OR entity IN (SELECT id FROM temp.apply_removed))");
      close.bind(1, run);
      close.bind(2, seq);
      close.exec();

      SQLite::Statement ent(m_db,
                            "INSERT OR IGNORE INTO entities (id, source, kind, fqn, first_run) "
                            "SELECT s.id, ?, s.kind, s.fqn, ? FROM temp.apply_added a JOIN "
                            "temp.stage_entities s ON s.id = a.id");
      ent.bind(1, source);
      ent.bind(2, run);
      ent.exec();

      // New versions for what changed or appeared; a body staged as NULL is the
      // one of the version with the same fingerprint (which a concurrent sync
      // may have closed since).
      SQLite::Statement ver(
          m_db,
          "INSERT INTO versions (entity, valid_from_run, valid_to_run, "
          "valid_from_seq, valid_to_seq, fingerprint, body) "
          "SELECT s.id, ?, NULL, ?, NULL, s.fingerprint, coalesce(s.body, (SELECT "
          "o.body FROM versions o WHERE o.entity = s.id AND o.fingerprint = "
          "s.fingerprint LIMIT 1)) FROM (SELECT id FROM temp.apply_changed UNION "
          "ALL SELECT id FROM temp.apply_added) n JOIN temp.stage_entities s ON "
          "s.id = n.id");
      ver.bind(1, run);
      ver.bind(2, seq);
      ver.exec();

      SQLite::Statement obs(m_db,
                            "INSERT OR REPLACE INTO observations (entity, run, body) "
                            "SELECT id, ?, observations FROM temp.stage_entities "
                            "WHERE observations IS NOT NULL");
      obs.bind(1, run);
      obs.exec();

      m_db.exec(
          "DELETE FROM entity_search WHERE entity IN (SELECT id FROM temp.apply_changed UNION ALL "
          "SELECT id FROM temp.apply_removed)");
      SQLite::Statement search(
          m_db,
          "INSERT INTO entity_search (fqn, name, comment, entity, kind) SELECT s.fqn, "
          "json_extract(v.body, '$.name'), json_extract(v.body, '$.comment'), s.id, s.kind FROM "
          "(SELECT id FROM temp.apply_changed UNION ALL SELECT id FROM temp.apply_added) n JOIN "
          "temp.stage_entities s ON s.id = n.id JOIN versions v ON v.entity = s.id AND "
          "v.valid_to_run IS NULL");
      search.exec();

      if (policy.lineage) apply_edges(source, run, seq, policy);

      SQLite::Statement fin(m_db,
                            "UPDATE runs SET status = ?, finished_at = ?, error = ?, added = ?, "
                            "changed = ?, removed = ?, unchanged = ?, seq = ?, signature = ? "
                            "WHERE id = ?");
      fin.bind(1, std::string(to_string(status)));
      fin.bind(2, now_iso());
      if (error.empty()) {
        fin.bind(3);
      } else {
        fin.bind(3, error);
      }
      fin.bind(4, counts.added);
      fin.bind(5, counts.changed);
      fin.bind(6, counts.removed);
      fin.bind(7, counts.unchanged);
      fin.bind(8, seq);
      if (policy.signature) {
        fin.bind(9, *policy.signature);
      } else {
        fin.bind(9);
      }
      fin.bind(10, run);
      fin.exec();
      tx.commit();
    }
    clear_stage();
    return counts;
  }

  ApplyCounts apply_unchanged(const std::string& run_id, const std::string& source,
                              const std::string& signature) override {
    end_staging();
    const std::int64_t run = parse_run_id(run_id);
    ApplyCounts counts;
    {
      SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::IMMEDIATE);
      std::int64_t seq = 0;
      {
        auto next = prepared("SELECT coalesce(max(seq), 0) + 1 FROM runs");
        next->executeStep();
        seq = next->getColumn(0).getInt64();
      }
      {
        auto live = prepared(
            "SELECT count(*) FROM entities e JOIN versions v ON v.entity = e.id "
            "AND v.valid_to_run IS NULL WHERE e.source = ?");
        live->bind(1, source);
        live->executeStep();
        counts.unchanged = live->getColumn(0).getInt64();
      }
      auto fin = prepared(
          "UPDATE runs SET status = 'succeeded', finished_at = ?, unchanged = ?, "
          "seq = ?, signature = ? WHERE id = ?");
      fin->bind(1, now_iso());
      fin->bind(2, counts.unchanged);
      fin->bind(3, seq);
      fin->bind(4, signature);
      fin->bind(5, run);
      fin->exec();
      tx.commit();
    }
    clear_stage();
    return counts;
  }

  ClaimOutcome claim_fire(const FireClaim& claim, std::chrono::milliseconds lease) override {
    end_staging();
    SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    ClaimOutcome outcome;
    {
      auto insert = prepared(fmt::format(
          "INSERT INTO job_claims (job, scheduled_for, daemon_id, state, lease_until, claimed_at) "
          "VALUES (?, ?, ?, 'running', {} + ?, ?) ON CONFLICT DO NOTHING",
          k_now_ms));
      insert->bind(1, claim.job);
      insert->bind(2, claim.scheduled_for);
      insert->bind(3, claim.daemon_id);
      insert->bind(4, static_cast<std::int64_t>(lease.count()));
      insert->bind(5, now_iso());
      if (insert->exec() == 1) {
        tx.commit();
        outcome.result = ClaimResult::won;
        outcome.holder = claim.daemon_id;
        return outcome;
      }
    }
    SQLite::Statement q(m_db, fmt::format("SELECT c.daemon_id, c.state, c.lease_until < {}, "
                                          "c.run_id, r.status, r.host, r.pid FROM job_claims c "
                                          "LEFT JOIN runs r ON r.id = c.run_id WHERE c.job = ? "
                                          "AND c.scheduled_for = ?",
                                          k_now_ms));
    q.bind(1, claim.job);
    q.bind(2, claim.scheduled_for);
    q.executeStep();
    ExistingClaim row;
    row.holder = q.getColumn(0).getString();
    row.done = q.getColumn(1).getString() == "done";
    row.expired = q.getColumn(2).getInt() != 0;
    const std::optional<std::string> run = optional_text(q.getColumn(3));
    row.run_status = optional_text(q.getColumn(4));
    row.run_alive = row.run_status == "running" && column_text(q.getColumn(5)) == m_host &&
                    process_alive(q.getColumn(6).getInt64());
    q.reset();
    outcome.holder = row.holder;
    outcome.result = decide_existing_claim(row, claim.daemon_id);
    if (outcome.result == ClaimResult::own) {
      renew(claim, lease);
    } else if (!row.done && outcome.result != ClaimResult::held) {
      outcome.previous_run = run;
      if (row.run_status == "running") {
        SQLite::Statement u(m_db,
                            "UPDATE runs SET status = 'interrupted', finished_at = ?, error = ? "
                            "WHERE id = ? AND status = 'running'");
        u.bind(1, now_iso());
        u.bind(2, fmt::format("daemon {} stopped renewing its lease on the fire; taken over by {}",
                              outcome.holder, claim.daemon_id));
        u.bind(3, static_cast<std::int64_t>(std::stoll(*run)));
        u.exec();
      }
      // Done: the holder ended after its run committed but before it said so.
      const bool succeeded = outcome.result == ClaimResult::done;
      SQLite::Statement u(
          m_db, succeeded ? fmt::format("UPDATE job_claims SET state = 'done', lease_until = {} "
                                        "WHERE job = ? AND scheduled_for = ?",
                                        k_now_ms)
                          : fmt::format("UPDATE job_claims SET daemon_id = ?, lease_until = {} + "
                                        "?, claimed_at = ?, run_id = NULL, takeovers = takeovers "
                                        "+ 1 WHERE job = ? AND scheduled_for = ?",
                                        k_now_ms));
      int i = 1;
      if (!succeeded) {
        u.bind(i++, claim.daemon_id);
        u.bind(i++, static_cast<std::int64_t>(lease.count()));
        u.bind(i++, now_iso());
      }
      u.bind(i++, claim.job);
      u.bind(i++, claim.scheduled_for);
      u.exec();
    }
    tx.commit();
    return outcome;
  }

  bool renew_claim(const FireClaim& claim, std::chrono::milliseconds lease) override {
    end_staging();
    return renew(claim, lease);
  }

  void end_claim(const FireClaim& claim, bool done) override {
    end_staging();
    const std::string sql =
        done ? fmt::format(
                   "UPDATE job_claims SET state = 'done', lease_until = {} WHERE job = ? "
                   "AND scheduled_for = ? AND daemon_id = ? AND state = 'running'",
                   k_now_ms)
             : fmt::format(
                   "UPDATE job_claims SET lease_until = {} - 1 WHERE job = ? AND "
                   "scheduled_for = ? AND daemon_id = ? AND state = 'running'",
                   k_now_ms);
    auto u = prepared(sql);
    u->bind(1, claim.job);
    u->bind(2, claim.scheduled_for);
    u->bind(3, claim.daemon_id);
    u->exec();
  }

  std::vector<FireClaim> expired_claims(std::size_t limit) override {
    end_staging();
    SQLite::Statement q(m_db, fmt::format("SELECT job, scheduled_for, daemon_id FROM job_claims "
                                          "WHERE state = 'running' AND lease_until < {} ORDER "
                                          "BY scheduled_for, job LIMIT ?",
                                          k_now_ms));
    q.bind(1, static_cast<std::int64_t>(limit));
    std::vector<FireClaim> out;
    while (q.executeStep()) {
      out.push_back(
          {q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString()});
    }
    return out;
  }

  void expire_claims_except(const std::string& daemon_id) override {
    end_staging();
    SQLite::Statement u(m_db, fmt::format("UPDATE job_claims SET lease_until = {0} - 1 WHERE "
                                          "state = 'running' AND daemon_id <> ? AND lease_until "
                                          ">= {0}",
                                          k_now_ms));
    u.bind(1, daemon_id);
    u.exec();
  }

  std::int64_t prune_claims(std::chrono::milliseconds age) override {
    end_staging();
    SQLite::Statement u(m_db, fmt::format("DELETE FROM job_claims WHERE state = 'done' AND "
                                          "lease_until < {} - ?",
                                          k_now_ms));
    u.bind(1, static_cast<std::int64_t>(age.count()));
    return u.exec();
  }

  std::vector<RunInfo> runs(const RunQuery& query) override {
    std::string sql = fmt::format("SELECT {} FROM runs WHERE 1", k_run_columns);
    if (query.source) sql += " AND source = :source";
    if (query.status) sql += " AND status = :status";
    sql += " ORDER BY id DESC LIMIT :limit";
    SQLite::Statement q(m_db, sql);
    if (query.source) q.bind(":source", *query.source);
    if (query.status) q.bind(":status", std::string(to_string(*query.status)));
    q.bind(":limit", static_cast<std::int64_t>(query.limit));
    std::vector<RunInfo> out;
    while (q.executeStep()) out.push_back(read_run(q));
    return out;
  }

  std::optional<RunInfo> find_run(const std::string& run_id) override {
    SQLite::Statement q(m_db, fmt::format("SELECT {} FROM runs WHERE id = ?", k_run_columns));
    q.bind(1, parse_run_id(run_id));
    if (!q.executeStep()) return std::nullopt;
    return read_run(q);
  }

  std::optional<RunInfo> last_committed_run(std::string_view source,
                                            const std::optional<std::string>& iso_time) override {
    std::string sql = fmt::format("SELECT {} FROM runs WHERE seq IS NOT NULL", k_run_columns);
    if (!source.empty()) sql += " AND source = :source";
    if (iso_time) sql += " AND finished_at <= :at";
    sql += " ORDER BY seq DESC LIMIT 1";
    auto prepared_query = prepared(sql);
    SQLite::Statement& q = *prepared_query;
    if (!source.empty()) q.bind(":source", std::string(source));
    if (iso_time) q.bind(":at", *iso_time);
    if (!q.executeStep()) return std::nullopt;
    return read_run(q);
  }

  std::vector<StoredEntity> entities_at(std::string_view source,
                                        const std::optional<std::string>& run_id) override {
    std::string sql =
        "SELECT e.id, e.kind, e.fqn, v.fingerprint, v.body, v.valid_from_run, v.valid_to_run "
        "FROM versions v JOIN entities e ON e.id = v.entity WHERE ";
    sql += run_id ? "v.valid_from_seq <= :seq AND (v.valid_to_seq IS NULL OR v.valid_to_seq > :seq)"
                  : "v.valid_to_run IS NULL";
    if (!source.empty()) sql += " AND e.source = :source";
    sql += " ORDER BY e.fqn, e.kind";
    SQLite::Statement q(m_db, sql);
    if (run_id) q.bind(":seq", seq_of(*run_id));
    if (!source.empty()) q.bind(":source", std::string(source));
    std::vector<StoredEntity> out;
    while (q.executeStep()) out.push_back(read_entity(q));
    return out;
  }

  std::vector<StoredEdge> edges_at(std::string_view source,
                                   const std::optional<std::string>& run_id) override {
    std::string sql = "SELECT from_fqn, to_fqn, kind, columns FROM lineage WHERE ";
    sql += run_id ? "valid_from_seq <= :seq AND (valid_to_seq IS NULL OR valid_to_seq > :seq)"
                  : "valid_to_run IS NULL";
    if (!source.empty()) sql += " AND source = :source";
    sql += " ORDER BY from_fqn, to_fqn, kind";
    SQLite::Statement q(m_db, sql);
    if (run_id) q.bind(":seq", seq_of(*run_id));
    if (!source.empty()) q.bind(":source", std::string(source));
    std::vector<StoredEdge> out;
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                     q.getColumn(2).getString(), q.getColumn(3).getString()});
    }
    return out;
  }

  std::vector<StoredEntity> versions_of(std::string_view fqn) override {
    SQLite::Statement q(
        m_db,
        "SELECT e.id, e.kind, e.fqn, v.fingerprint, v.body, v.valid_from_run, v.valid_to_run "
        "FROM versions v JOIN entities e ON e.id = v.entity WHERE e.fqn = ? "
        "ORDER BY e.kind, v.valid_from_seq");
    q.bind(1, std::string(fqn));
    std::vector<StoredEntity> out;
    while (q.executeStep()) out.push_back(read_entity(q));
    return out;
  }

  std::vector<StoredEntity> search(std::string_view text, std::size_t limit) override {
    // Every word of the query as a quoted prefix term.
    std::string match;
    for (const std::string& word : search_words(text)) {
      if (!match.empty()) match += " ";
      match += "\"" + word + "\"*";
    }
    std::vector<StoredEntity> out;
    if (match.empty()) return out;
    SQLite::Statement q(
        m_db,
        "SELECT e.id, e.kind, e.fqn, v.fingerprint, v.body, v.valid_from_run, v.valid_to_run "
        "FROM entity_search JOIN entities e ON e.id = entity_search.entity JOIN versions v ON "
        "v.entity = "
        "e.id AND v.valid_to_run IS NULL WHERE entity_search MATCH ? ORDER BY entity_search.rank, "
        "e.fqn "
        "LIMIT ?");
    q.bind(1, match);
    q.bind(2, static_cast<std::int64_t>(limit));
    while (q.executeStep()) out.push_back(read_entity(q));
    return out;
  }

  std::vector<std::pair<std::string, std::int64_t>> table_counts() override {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const char* table : {"runs", "entities", "versions", "lineage", "observations"}) {
      out.emplace_back(table,
                       m_db.execAndGet(fmt::format("SELECT count(*) FROM {}", table)).getInt64());
    }
    return out;
  }

  std::vector<std::string> verify() override {
    std::vector<std::string> problems;
    auto each = [&](const char* sql, auto&& describe) {
      SQLite::Statement q(m_db, sql);
      while (q.executeStep()) problems.push_back(describe(q));
    };
    for (const char* table : {"versions", "lineage"}) {
      each(fmt::format("SELECT count(*) FROM {} WHERE valid_to_seq IS NOT NULL AND valid_to_seq "
                       "<= valid_from_seq HAVING count(*) > 0",
                       table)
               .c_str(),
           [&](SQLite::Statement& q) {
             return fmt::format("{}: {} rows end before they begin", table,
                                q.getColumn(0).getInt64());
           });
    }
    each(
        "SELECT e.fqn, e.kind, a.valid_from_run, b.valid_from_run FROM versions a "
        "JOIN versions b ON a.entity = b.entity AND a.valid_from_seq < b.valid_from_seq "
        "JOIN entities e ON e.id = a.entity "
        "WHERE a.valid_to_seq IS NULL OR a.valid_to_seq > b.valid_from_seq",
        [](SQLite::Statement& q) {
          return fmt::format("{} {}: versions from runs {} and {} overlap",
                             q.getColumn(1).getString(), q.getColumn(0).getString(),
                             q.getColumn(2).getInt64(), q.getColumn(3).getInt64());
        });
    each(
        "SELECT v.entity FROM versions v WHERE NOT EXISTS (SELECT 1 FROM entities e "
        "WHERE e.id = v.entity)",
        [](SQLite::Statement& q) {
          return fmt::format("version of missing entity {}", q.getColumn(0).getString());
        });
    each(
        "SELECT e.fqn, v.valid_from_run, r.status FROM versions v JOIN entities e ON e.id = "
        "v.entity LEFT JOIN runs r ON r.id = v.valid_from_run WHERE r.seq IS NULL OR r.seq <> "
        "v.valid_from_seq",
        [](SQLite::Statement& q) {
          return fmt::format("{}: version written by run {} that did not commit",
                             q.getColumn(0).getString(), q.getColumn(1).getInt64());
        });
    each(
        "SELECT l.from_fqn, l.to_fqn, l.kind FROM lineage l WHERE l.valid_to_run IS NULL AND "
        "NOT EXISTS (SELECT 1 FROM entities e JOIN versions v ON v.entity = e.id AND "
        "v.valid_to_run IS NULL WHERE e.fqn = l.to_fqn)",
        [](SQLite::Statement& q) {
          // The reading side came with its edge; the read side may lie outside the filter.
          return fmt::format(
              "live lineage edge {} -> {} ({}) reads into an entity that is not live",
              q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString());
        });
    each("SELECT id, status FROM runs WHERE (status = 'running') <> (finished_at IS NULL)",
         [](SQLite::Statement& q) {
           return fmt::format("run {} is {} but its finish time says otherwise",
                              q.getColumn(0).getInt64(), q.getColumn(1).getString());
         });
    {
      SQLite::Statement q(m_db, "SELECT id, host, pid FROM runs WHERE status = 'running'");
      while (q.executeStep()) {
        if (q.getColumn(1).getString() == m_host && !process_alive(q.getColumn(2).getInt64())) {
          problems.push_back(fmt::format("run {} is left running by process {} which is gone",
                                         q.getColumn(0).getInt64(), q.getColumn(2).getInt64()));
        }
      }
    }
    return problems;
  }

  void export_rows(const RawRowSink& sink) override {
    end_staging();
    // One read transaction: one snapshot of the WAL for every table.
    SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::DEFERRED);
    for (const auto& spec : catalog_tables()) {
      std::string columns;
      for (auto c : spec.columns) columns += (columns.empty() ? "" : ", ") + std::string(c);
      const char* order = spec.name == "versions"       ? "entity, valid_from_seq"
                          : spec.name == "lineage"      ? "valid_from_seq, rowid"
                          : spec.name == "observations" ? "run, entity"
                                                        : "id";
      SQLite::Statement q(m_db,
                          fmt::format("SELECT {} FROM {} ORDER BY {}", columns, spec.name, order));
      RawRow row(spec.columns.size());
      while (q.executeStep()) {
        for (std::size_t c = 0; c < row.size(); ++c)
          row[c] = optional_text(q.getColumn(static_cast<int>(c)));
        sink(spec.name, row);
      }
    }
    tx.commit();
  }

  void import_rows(const std::function<void(const RawRowSink&)>& produce) override {
    end_staging();
    SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    for (const auto& table : catalog_tables()) {
      SQLite::Statement q(m_db, fmt::format("SELECT 1 FROM {} LIMIT 1", table.name));
      if (q.executeStep()) {
        core::throw_usage(
            fmt::format("catalog {} is not empty (its table {} has rows)", describe(), table.name),
            "migrate copies into an empty catalog only: name a new file or database");
      }
    }
    std::string current;
    std::unique_ptr<SQLite::Statement> insert;
    produce([&](std::string_view table, const RawRow& row) {
      if (table != current || !insert) {
        const CatalogTable& spec = table_spec(table);
        std::string columns;
        std::string marks;
        for (auto c : spec.columns) {
          columns += (columns.empty() ? "" : ", ") + std::string(c);
          marks += marks.empty() ? "?" : ", ?";
        }
        insert = std::make_unique<SQLite::Statement>(
            m_db, fmt::format("INSERT INTO {} ({}) VALUES ({})", spec.name, columns, marks));
        current = std::string(table);
      }
      insert->reset();
      for (std::size_t c = 0; c < row.size(); ++c) {
        const int index = static_cast<int>(c) + 1;
        if (row[c]) {
          insert->bind(index, *row[c]);
        } else {
          insert->bind(index);
        }
      }
      insert->exec();
    });
    insert.reset();
    m_db.exec(
        "INSERT INTO entity_search (fqn, name, comment, entity, kind) SELECT e.fqn, "
        "json_extract(v.body, '$.name'), json_extract(v.body, '$.comment'), e.id, e.kind FROM "
        "versions v JOIN entities e ON e.id = v.entity WHERE v.valid_to_run IS NULL");
    tx.commit();
  }

 private:
  // A statement of the per-run path, prepared once per connection (the daemon
  // reuses its connections for thousands of runs). The guard resets it when
  // the caller is done with it, so that no statement keeps a read snapshot.
  class Prepared {
   public:
    explicit Prepared(SQLite::Statement& q) : m_q(q) {}
    ~Prepared() { m_q.tryReset(); }
    Prepared(const Prepared&) = delete;
    Prepared& operator=(const Prepared&) = delete;
    SQLite::Statement& operator*() { return m_q; }
    SQLite::Statement* operator->() { return &m_q; }

   private:
    SQLite::Statement& m_q;
  };
  Prepared prepared(const std::string& sql) {
    auto& slot = m_prepared[sql];
    if (!slot) {
      slot = std::make_unique<SQLite::Statement>(m_db, sql);
    } else {
      slot->clearBindings();  // reset by the previous guard
    }
    return Prepared(*slot);
  }

  template <class Fn>
  static void retry_while_busy(Fn&& fn) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(k_busy_timeout_ms);
    for (;;) {
      try {
        fn();
        return;
      } catch (const SQLite::Exception& e) {
        if ((e.getErrorCode() & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline)
          throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void migrate() {
    const auto& migrations = sqlite_migrations();
    const int known = migrations.back().version;
    // IMMEDIATE: two processes opening a new catalog at once migrate it once.
    SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    const int current = m_db.execAndGet("PRAGMA user_version").getInt();
    if (current > known) {
      core::throw_runtime(
          fmt::format("catalog {} has schema version {}, newer than this connctl knows ({})",
                      m_path.string(), current, known),
          "upgrade connctl, or point --catalog at another catalog");
    }
    for (const auto& m : migrations) {
      if (m.version <= current) continue;
      m_db.exec(std::string(m.sql));
      m_db.exec(fmt::format("PRAGMA user_version = {}", m.version));
      core::log_debug("catalog {}: migrated to schema version {}", m_path.string(), m.version);
    }
    if (m_db.execAndGet("SELECT count(*) FROM pragma_foreign_key_check").getInt64() != 0) {
      core::throw_runtime(
          fmt::format("catalog {}: a migration left dangling references", m_path.string()),
          "this is a bug in connctl; the catalog is unchanged");
    }
    tx.commit();
  }

  bool renew(const FireClaim& claim, std::chrono::milliseconds lease) {
    SQLite::Statement u(m_db, fmt::format("UPDATE job_claims SET lease_until = {} + ? WHERE job = "
                                          "? AND scheduled_for = ? AND daemon_id = ? AND state = "
                                          "'running'",
                                          k_now_ms));
    u.bind(1, static_cast<std::int64_t>(lease.count()));
    u.bind(2, claim.job);
    u.bind(3, claim.scheduled_for);
    u.bind(4, claim.daemon_id);
    return u.exec() == 1;
  }

  void mark_interrupted() {
    std::vector<std::int64_t> dead;
    {
      SQLite::Statement q(m_db, "SELECT id, pid FROM runs WHERE status = 'running' AND host = ?");
      q.bind(1, m_host);
      while (q.executeStep()) {
        if (!process_alive(q.getColumn(1).getInt64())) dead.push_back(q.getColumn(0).getInt64());
      }
    }
    for (auto id : dead) {
      SQLite::Statement u(m_db,
                          "UPDATE runs SET status = 'interrupted', finished_at = ?, error = "
                          "'the sync process ended without finishing the run' "
                          "WHERE id = ? AND status = 'running'");
      u.bind(1, now_iso());
      u.bind(2, id);
      u.exec();
      core::log_warn(
          "catalog: run {} was left running by a process that is gone; marked interrupted", id);
    }
  }

  // Staging rows go to TEMP tables in one transaction that never touches the
  // main database, so it takes no lock another sync would wait for.
  void begin_staging() {
    if (m_staging) return;
    m_db.exec("BEGIN");
    m_staging = true;
  }
  void end_staging() {
    if (!m_staging) return;
    m_stage_entity.reset();
    m_stage_edge.reset();
    m_db.exec("COMMIT");
    m_staging = false;
  }
  // The unchanged entities stage_entity kept only in the live index, as
  // rows, for the comparison in SQL that a concurrent commit calls for.
  void stage_unstaged() {
    m_db.exec("CREATE TEMP TABLE IF NOT EXISTS seen_unstaged (id TEXT PRIMARY KEY)");
    m_db.exec("DELETE FROM temp.seen_unstaged");
    {
      SQLite::Statement ins(m_db, "INSERT INTO temp.seen_unstaged VALUES (?)");
      m_live.index().each([&](const Hex128& id, bool seen) {
        if (!seen) return;
        ins.reset();
        ins.bind(1, to_hex(id));
        ins.exec();
      });
    }
    // Seen with the live fingerprint of begin_stage, unless staged as changed.
    m_db.exec(fmt::format(
        "INSERT OR IGNORE INTO temp.stage_entities SELECT e.id, e.kind, e.fqn, v.fingerprint, "
        "NULL, NULL, {} FROM temp.seen_unstaged t JOIN entities e ON e.id = t.id JOIN versions v "
        "ON v.entity = e.id AND v.valid_from_seq <= {} AND (v.valid_to_seq IS NULL OR "
        "v.valid_to_seq > {})",
        static_cast<int>(StageState::unchanged), m_live.seq(), m_live.seq()));
    m_db.exec("DELETE FROM temp.seen_unstaged");
  }

  void clear_stage() {
    m_live.clear();
    m_db.exec("DELETE FROM temp.stage_entities");
    m_db.exec("DELETE FROM temp.stage_edges");
    m_db.exec("DROP TABLE IF EXISTS temp.apply_changed");
    m_db.exec("DROP TABLE IF EXISTS temp.apply_added");
    m_db.exec("DROP TABLE IF EXISTS temp.apply_removed");
  }

  // The commit sequence of the source's newest run that wrote state (0 if none).
  std::int64_t committed_seq(std::string_view source) {
    SQLite::Statement q(m_db, "SELECT coalesce(max(seq), 0) FROM runs WHERE source = ?");
    q.bind(1, std::string(source));
    q.executeStep();
    return q.getColumn(0).getInt64();
  }

  void apply_edges(const std::string& source, std::int64_t run, std::int64_t seq,
                   const ApplyPolicy& policy) {
    std::vector<std::int64_t> closing;
    {
      // A live edge the run did not see is closed when its view is in scope, or
      // when the run saw the same edge with other column pairs.
      SQLite::Statement q(m_db,
                          "SELECT l.rowid, l.to_fqn, EXISTS (SELECT 1 FROM temp.stage_edges s "
                          "WHERE s.from_fqn = l.from_fqn AND s.to_fqn = l.to_fqn AND s.kind = "
                          "l.kind) FROM lineage l WHERE l.source = ? AND l.valid_to_run IS NULL "
                          "AND NOT EXISTS (SELECT 1 FROM temp.stage_edges s WHERE s.from_fqn = "
                          "l.from_fqn AND s.to_fqn = l.to_fqn AND s.kind = l.kind AND s.columns = "
                          "l.columns)");
      q.bind(1, source);
      while (q.executeStep()) {
        if (q.getColumn(2).getInt() != 0 ||
            (policy.removable && policy.removable(q.getColumn(1).getString()))) {
          closing.push_back(q.getColumn(0).getInt64());
        }
      }
    }
    SQLite::Statement close(
        m_db, "UPDATE lineage SET valid_to_run = ?, valid_to_seq = ? WHERE rowid = ?");
    for (auto rowid : closing) {
      close.reset();
      close.bind(1, run);
      close.bind(2, seq);
      close.bind(3, rowid);
      close.exec();
    }
    SQLite::Statement ins(
        m_db,
        "INSERT INTO lineage (source, from_fqn, to_fqn, kind, columns, valid_from_run, "
        "valid_from_seq) SELECT ?, s.from_fqn, s.to_fqn, s.kind, s.columns, ?, ? FROM "
        "temp.stage_edges s WHERE NOT EXISTS (SELECT 1 FROM lineage l WHERE l.source = ? AND "
        "l.valid_to_run IS NULL AND l.from_fqn = s.from_fqn AND l.to_fqn = s.to_fqn AND l.kind = "
        "s.kind AND l.columns = s.columns)");
    ins.bind(1, source);
    ins.bind(2, run);
    ins.bind(3, seq);
    ins.bind(4, source);
    ins.exec();
  }

  static const CatalogTable& table_spec(std::string_view name) {
    for (const auto& t : catalog_tables()) {
      if (t.name == name) return t;
    }
    core::throw_runtime(fmt::format("no catalog table '{}'", name));
  }

  std::int64_t seq_of(const std::string& run_id) {
    SQLite::Statement q(m_db, "SELECT seq, status FROM runs WHERE id = ?");
    q.bind(1, parse_run_id(run_id));
    if (!q.executeStep()) core::throw_usage(fmt::format("no run {} in the catalog", run_id));
    if (q.getColumn(0).isNull()) {
      core::throw_usage(
          fmt::format("run {} is {} and recorded no state", run_id, q.getColumn(1).getString()),
          "pick a succeeded or partial run from 'connctl history'");
    }
    return q.getColumn(0).getInt64();
  }

  static StoredEntity read_entity(SQLite::Statement& q) {
    StoredEntity e;
    e.id = q.getColumn(0).getString();
    e.kind = q.getColumn(1).getString();
    e.fqn = q.getColumn(2).getString();
    e.fingerprint = q.getColumn(3).getString();
    e.body = q.getColumn(4).getString();
    e.valid_from_run = std::to_string(q.getColumn(5).getInt64());
    if (!q.getColumn(6).isNull()) e.valid_to_run = std::to_string(q.getColumn(6).getInt64());
    return e;
  }

  std::filesystem::path m_path;
  SQLite::Database m_db;
  std::string m_host;
  bool m_staging = false;
  std::unique_ptr<SQLite::Statement> m_stage_entity;
  std::unique_ptr<SQLite::Statement> m_stage_edge;
  LiveStage m_live;  // the source's live fingerprints as begin_stage read them
  // After m_db: finalized before the connection closes.
  std::map<std::string, std::unique_ptr<SQLite::Statement>, std::less<>> m_prepared;
};

}  // namespace

std::unique_ptr<CatalogStore> open_sqlite_store(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  try {
    return std::make_unique<SqliteStore>(path);
  } catch (const SQLite::Exception& e) {
    core::throw_runtime(fmt::format("cannot open catalog {}: {}", path.string(), e.what()),
                        "check that the directory exists and is writable, or pass --catalog URL");
  }
}

}  // namespace connctl::catalog

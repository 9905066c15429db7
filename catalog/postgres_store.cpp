#include "catalog/postgres_store.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <mutex>

#include "catalog/live_index.hpp"
#include "catalog/migrations/postgres_migrations.hpp"
#include "catalog/pg_session.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/secrets.hpp"
#include "schema/value.hpp"

namespace connctl::catalog {
namespace {

using pg::Param;
using pg::Params;
using pg::PgResult;
using pg::PgSession;

// Advisory lock keys (two-int form, so they never meet single-key users):
// (k_store_locks, 1) serialises migrations, (k_store_locks, 2) the apply of
// syncs (the commit `seq` order), and (k_run_locks, run id) is held by the
// session that started a run for as long as the run is open.
constexpr int k_store_locks = 0x636e6374;  // "cnct"
constexpr int k_run_locks = 0x636e7275;    // "cnru"
constexpr int k_migrate_key = 1;
constexpr int k_apply_key = 2;

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

Param text_or_null(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

std::string num(std::int64_t n) {
  return std::to_string(n);
}

std::int64_t parse_run_id(const std::string& run_id) {
  try {
    std::size_t used = 0;
    long long id = std::stoll(run_id, &used);
    if (used == run_id.size() && id > 0 && id <= INT_MAX) return id;
  } catch (const std::exception&) {
  }
  core::throw_usage(fmt::format("'{}' is not a run id", run_id),
                    "run ids are numbers; 'connctl history' lists them");
}

constexpr const char* k_run_columns =
    "id, source, job, trigger, scheduled_for, started_at, finished_at, status, added, changed, "
    "removed, unchanged, error, host, pid, signature";

RunInfo read_run(const PgResult& r, int row) {
  RunInfo info;
  info.id = r.text(row, 0);
  info.source = r.text(row, 1);
  info.job = r.text(row, 2);
  info.trigger = r.text(row, 3);
  info.scheduled_for = r.opt(row, 4);
  info.started_at = r.text(row, 5);
  info.finished_at = r.opt(row, 6);
  info.status = parse_run_status(r.text(row, 7)).value_or(RunStatus::failed);
  info.added = r.integer(row, 8);
  info.changed = r.integer(row, 9);
  info.removed = r.integer(row, 10);
  info.unchanged = r.integer(row, 11);
  info.error = r.text(row, 12);
  info.host = r.text(row, 13);
  info.pid = r.integer(row, 14);
  info.signature = r.opt(row, 15);
  return info;
}

constexpr const char* k_entity_columns =
    "e.id, e.kind, e.fqn, v.fingerprint, v.body, v.valid_from_run, v.valid_to_run";

StoredEntity read_entity(const PgResult& r, int row) {
  StoredEntity e;
  e.id = r.text(row, 0);
  e.kind = r.text(row, 1);
  e.fqn = r.text(row, 2);
  e.fingerprint = r.text(row, 3);
  e.body = r.text(row, 4);
  e.valid_from_run = r.text(row, 5);
  e.valid_to_run = r.opt(row, 6);
  return e;
}

// The search document of an entity: its FQN, name and comment split into
// words at every character that is not a letter or digit, as SQLite's FTS5
// (unicode61) splits them, so that both stores find the same prefixes.
std::string search_doc_sql(const std::string& fqn, const std::string& body) {
  return fmt::format(
      "to_tsvector('simple', regexp_replace({0} || ' ' || coalesce(({1})::json->>'name', '') || ' "
      "' || coalesce(({1})::json->>'comment', ''), '[^[:alnum:]]+', ' ', 'g'))",
      fqn, body);
}

// What a running run's lock looks like in pg_locks: its session is alive.
constexpr const char* k_run_session_alive =
    "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND "
    "l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND "
    "l.classid::bigint = 1668182645 AND l.objid::bigint = r.id AND l.objsubid = 2)";
static_assert(k_run_locks == 1668182645);

// Undoes an open transaction unless committed.
class Transaction {
 public:
  explicit Transaction(PgSession& session, const char* begin = "BEGIN") : m_session(session) {
    m_session.exec_script(begin);
  }
  ~Transaction() {
    if (m_done) return;
    try {
      if (m_session.copying()) m_session.end_copy();
    } catch (const std::exception&) {
    }
    try {
      m_session.exec_script("ROLLBACK");
    } catch (const std::exception&) {
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    m_session.exec_script("COMMIT");
    m_done = true;
  }

 private:
  PgSession& m_session;
  bool m_done = false;
};

class PostgresStore final : public CatalogStore {
 public:
  explicit PostgresStore(const std::string& url)
      : m_describe(strip_password(url)), m_session(url, m_describe), m_host(host_name()) {
    migrate();
    m_session.exec_script(
        "CREATE TEMP TABLE IF NOT EXISTS stage_entities (n BIGINT GENERATED ALWAYS AS IDENTITY, "
        "id TEXT NOT NULL, kind TEXT NOT NULL, fqn TEXT NOT NULL, fingerprint TEXT NOT NULL, "
        "body TEXT, observations TEXT, state SMALLINT NOT NULL);"
        "CREATE TEMP TABLE IF NOT EXISTS stage_edges (n BIGINT GENERATED ALWAYS AS IDENTITY, "
        "from_fqn TEXT NOT NULL, to_fqn TEXT NOT NULL, kind TEXT NOT NULL, columns TEXT NOT "
        "NULL)");
    mark_interrupted();
  }

  ~PostgresStore() override {
    try {
      m_session.end_copy();
    } catch (const std::exception&) {
    }
  }

  std::string describe() const override { return m_describe; }

  std::string start_run(const RunStart& start) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    // The run's lock is taken before its row is visible, so that nobody sees
    // it running without a live holder.
    Transaction tx(m_session);
    auto id = m_session.value(
        "INSERT INTO runs (source, job, trigger, scheduled_for, started_at, status, host, pid, "
        "backend_pid) VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, pg_backend_pid()) "
        "RETURNING id",
        {start.source, text_or_null(start.job), start.trigger, start.scheduled_for, now_iso(),
         m_host, num(getpid())});
    if (start.claimed_by) link_claim(start, *id);
    m_session.exec("SELECT pg_advisory_lock($1::int, $2::int)", {num(k_run_locks), id});
    tx.commit();
    return *id;
  }

  void finish_run(const std::string& run_id, RunStatus status, const std::string& error) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    clear_stage();
    const std::int64_t run = parse_run_id(run_id);
    m_session.exec(
        "UPDATE runs SET status = $1, finished_at = $2, error = $3 WHERE id = $4 AND status = "
        "'running'",
        {std::string(to_string(status)), now_iso(), text_or_null(error), num(run)});
    release_run(run);
  }

  void begin_stage(std::string_view source) override {
    // As in the SQLite store: the source's live fingerprints, read once, so
    // that unchanged entities are not staged and, unless another sync of the
    // source commits first, changes and removals are known without comparing.
    std::lock_guard lock(m_mutex);
    end_staging();
    // The sequence and the live rows from one snapshot: a sync of the source
    // committing between the two would otherwise pair its rows with the
    // sequence before it, and apply would compare against the wrong state.
    Transaction tx(m_session, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    m_live.begin(source, committed_seq(source));
    auto r = m_session.exec(
        "SELECT e.id, v.fingerprint FROM entities e JOIN versions v ON v.entity = e.id AND "
        "v.valid_to_run IS NULL WHERE e.source = $1",
        {std::string(source)});
    m_live.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      m_live.add_live(PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1));
    }
    tx.commit();
  }

  void stage_entity(const schema::Entity& entity) override {
    std::lock_guard lock(m_mutex);
    const auto decision =
        m_live.classify(entity.id, entity.fingerprint, !entity.observations.empty());
    if (!decision.stage) return;
    const StageState state = decision.state;
    begin_staging(Stage::entities);
    Param observations;
    if (!entity.observations.empty())
      observations = schema::to_canonical_json(schema::Value(entity.observations));
    // A NULL body is the body of the version with this fingerprint.
    Param body;
    if (state != StageState::unchanged) body = schema::canonical_body_json(entity);
    m_session.copy_row({entity.id, std::string(schema::to_string(entity.kind)), entity.fqn,
                        entity.fingerprint, body, observations,
                        num(static_cast<std::int64_t>(state))});
  }

  void stage_edge(const schema::LineageEdge& edge) override {
    std::lock_guard lock(m_mutex);
    begin_staging(Stage::edges);
    m_session.copy_row({edge.from, edge.to, edge.kind, edge_columns_json(edge)});
  }

  ApplyCounts apply(const std::string& run_id, const std::string& source, RunStatus status,
                    const std::string& error, const ApplyPolicy& policy) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    const std::int64_t run = parse_run_id(run_id);
    const std::string run_text = num(run);
    ApplyCounts counts;
    {
      Transaction tx(m_session);
      // Syncs of one catalog apply one at a time, so `seq` follows commit order.
      m_session.exec("SELECT pg_advisory_xact_lock($1::int, $2::int)",
                     {num(k_store_locks), num(k_apply_key)});
      const std::string seq = *m_session.value("SELECT coalesce(max(seq), 0) + 1 FROM runs");

      // The last staged row of an id wins, as INSERT OR REPLACE does in SQLite.
      m_session.exec_script(
          "CREATE TEMP TABLE apply_entities ON COMMIT DROP AS SELECT DISTINCT ON (id) id, kind, "
          "fqn, fingerprint, body, observations, state FROM stage_entities ORDER BY id, n DESC;"
          "ALTER TABLE apply_entities ADD PRIMARY KEY (id);"
          "ANALYZE apply_entities;"
          "CREATE TEMP TABLE apply_edges ON COMMIT DROP AS SELECT DISTINCT ON (from_fqn, to_fqn, "
          "kind) from_fqn, to_fqn, kind, columns FROM stage_edges ORDER BY from_fqn, to_fqn, "
          "kind, n DESC;"
          "ANALYZE apply_edges;"
          "CREATE TEMP TABLE apply_removed (id TEXT PRIMARY KEY) ON COMMIT DROP");
      // What begin_stage saw still holds unless another sync of this source
      // committed since; then compare with the live versions as they are now.
      const bool live_unchanged = m_live.trusted(source, committed_seq(source));
      if (live_unchanged) {
        m_session.exec_script(fmt::format(
            "CREATE TEMP TABLE apply_changed ON COMMIT DROP AS SELECT id FROM apply_entities "
            "WHERE state = {};"
            "CREATE TEMP TABLE apply_added ON COMMIT DROP AS SELECT id FROM apply_entities "
            "WHERE state = {}",
            static_cast<int>(StageState::changed), static_cast<int>(StageState::added)));
      } else {
        stage_unstaged();
        m_session.exec_script(
            "CREATE TEMP TABLE apply_changed ON COMMIT DROP AS SELECT s.id FROM apply_entities s "
            "JOIN versions v ON v.entity = s.id AND v.valid_to_run IS NULL "
            "WHERE v.fingerprint <> s.fingerprint;"
            "CREATE TEMP TABLE apply_added ON COMMIT DROP AS SELECT s.id FROM apply_entities s "
            "WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.entity = s.id AND "
            "v.valid_to_run IS NULL)");
      }
      m_session.exec_script("ANALYZE apply_changed; ANALYZE apply_added");
      counts.changed = std::stoll(*m_session.value("SELECT count(*) FROM apply_changed"));
      counts.added = std::stoll(*m_session.value("SELECT count(*) FROM apply_added"));
      const std::int64_t staged =
          std::stoll(*m_session.value("SELECT count(*) FROM apply_entities")) +
          (live_unchanged ? m_live.unstaged() : 0);
      counts.unchanged = staged - counts.added - counts.changed;

      std::int64_t live = 0;
      std::vector<std::string> removals;
      if (live_unchanged) {
        live = static_cast<std::int64_t>(m_live.index().size());
        Params unseen;
        m_live.index().each([&](const Hex128& id, bool seen) {
          if (!seen) unseen.push_back(to_hex(id));
        });
        if (!unseen.empty()) {
          m_session.exec_script("CREATE TEMP TABLE apply_unseen (id TEXT) ON COMMIT DROP");
          m_session.begin_copy("apply_unseen (id)");
          for (const auto& id : unseen) m_session.copy_row({id});
          m_session.end_copy();
          auto r = m_session.exec(
              "SELECT e.id, e.fqn FROM apply_unseen u JOIN entities e ON e.id = u.id ORDER BY "
              "e.id COLLATE \"C\"");
          for (int i = 0; i < r.rows(); ++i) {
            if (policy.removable && policy.removable(r.text(i, 1)))
              removals.push_back(r.text(i, 0));
          }
        }
      } else {
        live = std::stoll(
            *m_session.value("SELECT count(*) FROM entities e JOIN versions v ON v.entity = e.id "
                             "AND v.valid_to_run IS NULL WHERE e.source = $1",
                             {source}));
        auto r = m_session.exec(
            "SELECT e.id, e.fqn FROM entities e JOIN versions v ON v.entity = e.id AND "
            "v.valid_to_run IS NULL WHERE e.source = $1 AND NOT EXISTS (SELECT 1 FROM "
            "apply_entities s WHERE s.id = e.id)",
            {source});
        for (int i = 0; i < r.rows(); ++i) {
          if (policy.removable && policy.removable(r.text(i, 1))) removals.push_back(r.text(i, 0));
        }
      }
      if (policy.check_removals)
        policy.check_removals(static_cast<std::int64_t>(removals.size()), live);
      if (!removals.empty()) {
        m_session.begin_copy("apply_removed (id)");
        for (const auto& id : removals) m_session.copy_row({id});
        m_session.end_copy();
      }
      counts.removed = static_cast<std::int64_t>(removals.size());

      m_session.exec(
          "UPDATE versions SET valid_to_run = $1, valid_to_seq = $2 WHERE valid_to_run IS NULL "
          "AND (entity IN (SELECT id FROM apply_changed) OR entity IN (SELECT id FROM "
          "apply_removed))",
          {run_text, seq});
      m_session.exec(
          "INSERT INTO entities (id, source, kind, fqn, first_run) SELECT s.id, $1, s.kind, "
          "s.fqn, $2 FROM apply_added a JOIN apply_entities s ON s.id = a.id ON CONFLICT (id) DO "
          "NOTHING",
          {source, run_text});
      // A body staged as NULL is the one of the version with the same
      // fingerprint (which a concurrent sync may have closed since).
      m_session.exec(
          "INSERT INTO versions (entity, valid_from_run, valid_to_run, valid_from_seq, "
          "valid_to_seq, fingerprint, body) SELECT s.id, $1, NULL, $2, NULL, s.fingerprint, "
          "coalesce(s.body, (SELECT o.body FROM versions o WHERE o.entity = s.id AND "
          "o.fingerprint = s.fingerprint LIMIT 1)) FROM (SELECT id FROM apply_changed UNION ALL "
          "SELECT id FROM apply_added) n JOIN apply_entities s ON s.id = n.id",
          {run_text, seq});
      m_session.exec(
          "INSERT INTO observations (entity, run, body) SELECT id, $1, observations FROM "
          "apply_entities WHERE observations IS NOT NULL ON CONFLICT (entity, run) DO UPDATE SET "
          "body = EXCLUDED.body",
          {run_text});

      m_session.exec_script(
          "DELETE FROM entity_search WHERE entity IN (SELECT id FROM apply_changed UNION ALL "
          "SELECT id FROM apply_removed)");
      m_session.exec(
          "INSERT INTO entity_search (entity, doc) SELECT s.id, " +
              search_doc_sql("s.fqn", "v.body") +
              " FROM (SELECT id FROM apply_changed UNION ALL SELECT id FROM apply_added) n JOIN "
              "apply_entities s ON s.id = n.id JOIN versions v ON v.entity = s.id AND "
              "v.valid_to_run IS NULL AND v.valid_from_run = $1 ON CONFLICT (entity) DO UPDATE "
              "SET doc = EXCLUDED.doc",
          {run_text});

      if (policy.lineage) apply_edges(source, run_text, seq, policy);

      m_session.exec(
          "UPDATE runs SET status = $1, finished_at = $2, error = $3, added = $4, changed = $5, "
          "removed = $6, unchanged = $7, seq = $8, signature = $9 WHERE id = $10",
          {std::string(to_string(status)), now_iso(), text_or_null(error), num(counts.added),
           num(counts.changed), num(counts.removed), num(counts.unchanged), seq, policy.signature,
           run_text});
      tx.commit();
    }
    release_run(run);
    clear_stage();
    return counts;
  }

  ApplyCounts apply_unchanged(const std::string& run_id, const std::string& source,
                              const std::string& signature) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    const std::int64_t run = parse_run_id(run_id);
    ApplyCounts counts;
    {
      Transaction tx(m_session);
      m_session.exec("SELECT pg_advisory_xact_lock($1::int, $2::int)",
                     {num(k_store_locks), num(k_apply_key)});
      const std::string seq = *m_session.value("SELECT coalesce(max(seq), 0) + 1 FROM runs");
      counts.unchanged = std::stoll(
          *m_session.value("SELECT count(*) FROM entities e JOIN versions v ON v.entity = e.id "
                           "AND v.valid_to_run IS NULL WHERE e.source = $1",
                           {source}));
      m_session.exec(
          "UPDATE runs SET status = 'succeeded', finished_at = $1, unchanged = $2, seq = $3, "
          "signature = $4 WHERE id = $5",
          {now_iso(), num(counts.unchanged), seq, signature, num(run)});
      tx.commit();
    }
    release_run(run);
    clear_stage();
    return counts;
  }

  ClaimOutcome claim_fire(const FireClaim& claim, std::chrono::milliseconds lease) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    const Params key = {claim.job, claim.scheduled_for};
    Transaction tx(m_session);
    auto inserted = m_session.exec(
        "INSERT INTO job_claims (job, scheduled_for, daemon_id, state, lease_until, claimed_at) "
        "VALUES ($1, $2, $3, 'running', clock_timestamp() + $4::bigint * interval '1 "
        "millisecond', clock_timestamp()) ON CONFLICT DO NOTHING",
        {claim.job, claim.scheduled_for, claim.daemon_id, num(lease.count())});
    ClaimOutcome outcome;
    if (std::string_view(PQcmdTuples(inserted.get())) == "1") {
      tx.commit();
      outcome.result = ClaimResult::won;
      outcome.holder = claim.daemon_id;
      return outcome;
    }
    // The row exists: it is locked until this transaction ends, so that two
    // daemons never both take over one fire.
    auto r = m_session.exec(
        fmt::format("SELECT c.daemon_id, c.state, c.lease_until < clock_timestamp(), c.run_id, "
                    "r.status, {} FROM job_claims c LEFT JOIN runs r ON r.id = c.run_id WHERE "
                    "c.job = $1 AND c.scheduled_for = $2 FOR UPDATE OF c",
                    k_run_session_alive),
        key);
    ExistingClaim row;
    row.holder = r.text(0, 0);
    row.done = r.text(0, 1) == "done";
    row.expired = r.text(0, 2) == "t";
    const std::optional<std::string> run = r.opt(0, 3);
    row.run_status = r.opt(0, 4);
    row.run_alive = row.run_status == "running" && r.text(0, 5) == "t";
    outcome.holder = row.holder;
    outcome.result = decide_existing_claim(row, claim.daemon_id);
    if (outcome.result == ClaimResult::own) {
      renew(claim, lease);
    } else if (!row.done && outcome.result != ClaimResult::held) {
      outcome.previous_run = run;
      if (row.run_status == "running") {
        m_session.exec(
            "UPDATE runs SET status = 'interrupted', finished_at = $1, error = $2 WHERE id = $3 "
            "AND status = 'running'",
            {now_iso(),
             fmt::format("daemon {} stopped renewing its lease on the fire; taken over by {}",
                         outcome.holder, claim.daemon_id),
             *run});
      }
      if (outcome.result == ClaimResult::done) {
        // The holder ended after its run committed but before it said so.
        m_session.exec(
            "UPDATE job_claims SET state = 'done', lease_until = clock_timestamp() WHERE job = $1 "
            "AND scheduled_for = $2",
            key);
      } else {
        m_session.exec(
            "UPDATE job_claims SET daemon_id = $3, lease_until = clock_timestamp() + $4::bigint * "
            "interval '1 millisecond', claimed_at = clock_timestamp(), run_id = NULL, takeovers "
            "= takeovers + 1 WHERE job = $1 AND scheduled_for = $2",
            {claim.job, claim.scheduled_for, claim.daemon_id, num(lease.count())});
      }
    }
    tx.commit();
    return outcome;
  }

  bool renew_claim(const FireClaim& claim, std::chrono::milliseconds lease) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    return renew(claim, lease);
  }

  void end_claim(const FireClaim& claim, bool done) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    m_session.exec(
        done ? "UPDATE job_claims SET state = 'done', lease_until = clock_timestamp() WHERE job = "
               "$1 AND scheduled_for = $2 AND daemon_id = $3 AND state = 'running'"
             : "UPDATE job_claims SET lease_until = clock_timestamp() - interval '1 millisecond' "
               "WHERE job = $1 AND scheduled_for = $2 AND daemon_id = $3 AND state = 'running'",
        {claim.job, claim.scheduled_for, claim.daemon_id});
  }

  std::vector<FireClaim> expired_claims(std::size_t limit) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    auto r = m_session.exec(
        "SELECT job, scheduled_for, daemon_id FROM job_claims WHERE state = 'running' AND "
        "lease_until < clock_timestamp() ORDER BY scheduled_for, job LIMIT $1",
        {num(static_cast<std::int64_t>(limit))});
    std::vector<FireClaim> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2)});
    return out;
  }

  void expire_claims_except(const std::string& daemon_id) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    m_session.exec(
        "UPDATE job_claims SET lease_until = clock_timestamp() - interval '1 millisecond' WHERE "
        "state = 'running' AND daemon_id <> $1 AND lease_until >= clock_timestamp()",
        {daemon_id});
  }

  std::int64_t prune_claims(std::chrono::milliseconds age) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    auto r = m_session.exec(
        "DELETE FROM job_claims WHERE state = 'done' AND lease_until < clock_timestamp() - "
        "$1::bigint * interval '1 millisecond'",
        {num(age.count())});
    return std::stoll(PQcmdTuples(r.get()));
  }

  std::vector<RunInfo> runs(const RunQuery& query) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    std::string sql = fmt::format("SELECT {} FROM runs WHERE true", k_run_columns);
    Params params;
    if (query.source) {
      params.push_back(*query.source);
      sql += fmt::format(" AND source = ${}", params.size());
    }
    if (query.status) {
      params.push_back(std::string(to_string(*query.status)));
      sql += fmt::format(" AND status = ${}", params.size());
    }
    params.push_back(num(static_cast<std::int64_t>(query.limit)));
    sql += fmt::format(" ORDER BY id DESC LIMIT ${}", params.size());
    auto r = m_session.exec(sql, params);
    std::vector<RunInfo> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_run(r, i));
    return out;
  }

  std::optional<RunInfo> find_run(const std::string& run_id) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    auto r = m_session.exec(fmt::format("SELECT {} FROM runs WHERE id = $1", k_run_columns),
                            {num(parse_run_id(run_id))});
    if (r.rows() == 0) return std::nullopt;
    return read_run(r, 0);
  }

  std::optional<RunInfo> last_committed_run(std::string_view source,
                                            const std::optional<std::string>& iso_time) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    std::string sql = fmt::format("SELECT {} FROM runs WHERE seq IS NOT NULL", k_run_columns);
    Params params;
    if (!source.empty()) {
      params.push_back(std::string(source));
      sql += fmt::format(" AND source = ${}", params.size());
    }
    if (iso_time) {
      params.push_back(*iso_time);
      sql += fmt::format(" AND finished_at <= ${}", params.size());
    }
    sql += " ORDER BY seq DESC LIMIT 1";
    auto r = m_session.exec(sql, params);
    if (r.rows() == 0) return std::nullopt;
    return read_run(r, 0);
  }

  std::vector<StoredEntity> entities_at(std::string_view source,
                                        const std::optional<std::string>& run_id) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    std::string sql = fmt::format(
        "SELECT {} FROM versions v JOIN entities e ON e.id = v.entity WHERE ", k_entity_columns);
    Params params;
    if (run_id) {
      params.push_back(num(seq_of(*run_id)));
      sql += "v.valid_from_seq <= $1 AND (v.valid_to_seq IS NULL OR v.valid_to_seq > $1)";
    } else {
      sql += "v.valid_to_run IS NULL";
    }
    if (!source.empty()) {
      params.push_back(std::string(source));
      sql += fmt::format(" AND e.source = ${}", params.size());
    }
    // Byte order, as SQLite's BINARY collation sorts.
    sql += R"( ORDER BY e.fqn COLLATE "C", e.kind COLLATE "C")";
    auto r = m_session.exec(sql, params);
    std::vector<StoredEntity> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_entity(r, i));
    return out;
  }

  std::vector<StoredEdge> edges_at(std::string_view source,
                                   const std::optional<std::string>& run_id) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    std::string sql = "SELECT from_fqn, to_fqn, kind, columns FROM lineage WHERE ";
    Params params;
    if (run_id) {
      params.push_back(num(seq_of(*run_id)));
      sql += "valid_from_seq <= $1 AND (valid_to_seq IS NULL OR valid_to_seq > $1)";
    } else {
      sql += "valid_to_run IS NULL";
    }
    if (!source.empty()) {
      params.push_back(std::string(source));
      sql += fmt::format(" AND source = ${}", params.size());
    }
    sql += R"( ORDER BY from_fqn COLLATE "C", to_fqn COLLATE "C", kind COLLATE "C")";
    auto r = m_session.exec(sql, params);
    std::vector<StoredEdge> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3)});
    return out;
  }

  std::vector<StoredEntity> versions_of(std::string_view fqn) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    auto r = m_session.exec(
        fmt::format("SELECT {} FROM versions v JOIN entities e ON e.id = v.entity WHERE e.fqn = "
                    "$1 ORDER BY e.kind COLLATE \"C\", v.valid_from_seq",
                    k_entity_columns),
        {std::string(fqn)});
    std::vector<StoredEntity> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_entity(r, i));
    return out;
  }

  std::vector<StoredEntity> search(std::string_view text, std::size_t limit) override {
    // Every word of the query as a prefix term.
    std::string query;
    for (const std::string& word : search_words(text)) {
      if (!query.empty()) query += " & ";
      query += "'" + word + "':*";
    }
    std::vector<StoredEntity> out;
    if (query.empty()) return out;
    std::lock_guard lock(m_mutex);
    end_staging();
    auto r = m_session.exec(
        fmt::format("SELECT {} FROM entity_search s JOIN entities e ON e.id = s.entity JOIN "
                    "versions v ON v.entity = e.id AND v.valid_to_run IS NULL, "
                    "to_tsquery('simple', $1) q WHERE s.doc @@ q "
                    "ORDER BY ts_rank(s.doc, q) DESC, e.fqn COLLATE \"C\" LIMIT $2",
                    k_entity_columns),
        {query, num(static_cast<std::int64_t>(limit))});
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_entity(r, i));
    return out;
  }

  std::vector<std::pair<std::string, std::int64_t>> table_counts() override {
    std::lock_guard lock(m_mutex);
    end_staging();
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& table : catalog_tables()) {
      out.emplace_back(
          std::string(table.name),
          std::stoll(*m_session.value(fmt::format("SELECT count(*) FROM {}", table.name))));
    }
    return out;
  }

  std::vector<std::string> verify() override {
    std::lock_guard lock(m_mutex);
    end_staging();
    std::vector<std::string> problems;
    auto each = [&](const std::string& sql, auto&& describe) {
      auto r = m_session.exec(sql);
      for (int i = 0; i < r.rows(); ++i) problems.push_back(describe(r, i));
    };
    for (const char* table : {"versions", "lineage"}) {
      each(fmt::format("SELECT count(*) FROM {} WHERE valid_to_seq IS NOT NULL AND valid_to_seq "
                       "<= valid_from_seq HAVING count(*) > 0",
                       table),
           [&](const PgResult& r, int i) {
             return fmt::format("{}: {} rows end before they begin", table, r.text(i, 0));
           });
    }
    each(
        "SELECT e.fqn, e.kind, a.valid_from_run, b.valid_from_run FROM versions a "
        "JOIN versions b ON a.entity = b.entity AND a.valid_from_seq < b.valid_from_seq "
        "JOIN entities e ON e.id = a.entity "
        "WHERE a.valid_to_seq IS NULL OR a.valid_to_seq > b.valid_from_seq",
        [](const PgResult& r, int i) {
          return fmt::format("{} {}: versions from runs {} and {} overlap", r.text(i, 1),
                             r.text(i, 0), r.text(i, 2), r.text(i, 3));
        });
    each(
        "SELECT v.entity FROM versions v WHERE NOT EXISTS (SELECT 1 FROM entities e "
        "WHERE e.id = v.entity)",
        [](const PgResult& r, int i) {
          return fmt::format("version of missing entity {}", r.text(i, 0));
        });
    each(
        "SELECT e.fqn, v.valid_from_run, r.status FROM versions v JOIN entities e ON e.id = "
        "v.entity LEFT JOIN runs r ON r.id = v.valid_from_run WHERE r.seq IS NULL OR r.seq <> "
        "v.valid_from_seq",
        [](const PgResult& r, int i) {
          return fmt::format("{}: version written by run {} that did not commit", r.text(i, 0),
                             r.text(i, 1));
        });
    each(
        "SELECT l.from_fqn, l.to_fqn, l.kind FROM lineage l WHERE l.valid_to_run IS NULL AND "
        "NOT EXISTS (SELECT 1 FROM entities e JOIN versions v ON v.entity = e.id AND "
        "v.valid_to_run IS NULL WHERE e.fqn = l.to_fqn)",
        [](const PgResult& r, int i) {
          return fmt::format(
              "live lineage edge {} -> {} ({}) reads into an entity that is not live", r.text(i, 0),
              r.text(i, 1), r.text(i, 2));
        });
    each("SELECT id, status FROM runs WHERE (status = 'running') <> (finished_at IS NULL)",
         [](const PgResult& r, int i) {
           return fmt::format("run {} is {} but its finish time says otherwise", r.text(i, 0),
                              r.text(i, 1));
         });
    {
      auto r = m_session.exec(
          fmt::format("SELECT r.id, r.host, r.pid, {} FROM runs r WHERE r.status = 'running'",
                      k_run_session_alive));
      for (int i = 0; i < r.rows(); ++i) {
        if (r.text(i, 1) == m_host && !process_alive(r.integer(i, 2))) {
          problems.push_back(fmt::format("run {} is left running by process {} which is gone",
                                         r.text(i, 0), r.text(i, 2)));
        } else if (r.text(i, 3) != "t") {
          problems.push_back(fmt::format(
              "run {} is left running by a database session that is gone", r.text(i, 0)));
        }
      }
    }
    return problems;
  }

  void export_rows(const RawRowSink& sink) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    // One snapshot for every table; cursors so that big tables stream in batches.
    Transaction tx(m_session, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    for (const auto& spec : catalog_tables()) {
      std::string columns;
      for (auto c : spec.columns) columns += (columns.empty() ? "" : ", ") + std::string(c);
      m_session.exec(
          fmt::format("DECLARE export_rows NO SCROLL CURSOR FOR SELECT {} FROM {} ORDER BY {}",
                      columns, spec.name, export_order(spec.name)));
      RawRow row(spec.columns.size());
      for (;;) {
        auto r = m_session.exec("FETCH 5000 FROM export_rows");
        if (r.rows() == 0) break;
        for (int i = 0; i < r.rows(); ++i) {
          for (std::size_t c = 0; c < row.size(); ++c) row[c] = r.opt(i, static_cast<int>(c));
          sink(spec.name, row);
        }
      }
      m_session.exec("CLOSE export_rows");
    }
    tx.commit();
  }

  void import_rows(const std::function<void(const RawRowSink&)>& produce) override {
    std::lock_guard lock(m_mutex);
    end_staging();
    Transaction tx(m_session);
    m_session.exec("SELECT pg_advisory_xact_lock($1::int, $2::int)",
                   {num(k_store_locks), num(k_apply_key)});
    for (const auto& table : catalog_tables()) {
      if (m_session.value(fmt::format("SELECT 1 FROM {} LIMIT 1", table.name))) {
        core::throw_usage(
            fmt::format("catalog {} is not empty (its table {} has rows)", m_describe, table.name),
            "migrate copies into an empty catalog only: create a new database or file");
      }
    }
    std::string current;
    produce([&](std::string_view table, const RawRow& row) {
      if (table != current) {
        m_session.end_copy();
        const CatalogTable& spec = table_spec(table);
        std::string columns;
        for (auto c : spec.columns) columns += (columns.empty() ? "" : ", ") + std::string(c);
        m_session.begin_copy(fmt::format("{} ({})", spec.name, columns));
        current = std::string(table);
      }
      m_session.copy_row(row);
    });
    m_session.end_copy();
    m_session.exec_script(
        "SELECT setval(pg_get_serial_sequence('runs', 'id'), max(id)) FROM runs HAVING count(*) > "
        "0;"
        "INSERT INTO entity_search (entity, doc) SELECT e.id, " +
        search_doc_sql("e.fqn", "v.body") +
        " FROM versions v JOIN entities e ON e.id = v.entity WHERE v.valid_to_run IS NULL");
    tx.commit();
  }

 private:
  enum class Stage { none, entities, edges };

  static const CatalogTable& table_spec(std::string_view name) {
    for (const auto& t : catalog_tables()) {
      if (t.name == name) return t;
    }
    core::throw_runtime(fmt::format("no catalog table '{}'", name));
  }

  static const char* export_order(std::string_view table) {
    if (table == "runs") return "id";
    if (table == "entities") return "id COLLATE \"C\"";
    if (table == "versions") return "entity COLLATE \"C\", valid_from_seq";
    if (table == "lineage") return "valid_from_seq, id";
    return "run, entity COLLATE \"C\"";
  }

  void migrate() {
    const auto& migrations = postgres_migrations();
    const int known = migrations.back().version;
    // Two processes opening a new catalog at once migrate it once.
    Transaction tx(m_session);
    m_session.exec("SELECT pg_advisory_xact_lock($1::int, $2::int)",
                   {num(k_store_locks), num(k_migrate_key)});
    m_session.exec_script(
        "CREATE TABLE IF NOT EXISTS connctl_schema (version INTEGER NOT NULL);"
        "INSERT INTO connctl_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM connctl_schema)");
    const int current = std::stoi(*m_session.value("SELECT max(version) FROM connctl_schema"));
    if (current > known) {
      core::throw_runtime(
          fmt::format("catalog {} has schema version {}, newer than this connctl knows ({})",
                      m_describe, current, known),
          "upgrade connctl, or point --catalog at another catalog");
    }
    for (const auto& m : migrations) {
      if (m.version <= current) continue;
      m_session.exec_script(std::string(m.sql));
      m_session.exec("UPDATE connctl_schema SET version = $1", {num(m.version)});
      core::log_debug("catalog {}: migrated to schema version {}", m_describe, m.version);
    }
    tx.commit();
  }

  // Runs left `running` whose process on this host is gone, or whose session
  // (the holder of the run's advisory lock) is gone, wherever it ran.
  void mark_interrupted() {
    auto r = m_session.exec(
        fmt::format("SELECT r.id, r.host, r.pid, {} FROM runs r WHERE r.status = 'running'",
                    k_run_session_alive));
    for (int i = 0; i < r.rows(); ++i) {
      const bool process_gone = r.text(i, 1) == m_host && !process_alive(r.integer(i, 2));
      const bool session_gone = r.text(i, 3) != "t";
      if (!process_gone && !session_gone) continue;
      auto u = m_session.exec(
          "UPDATE runs SET status = 'interrupted', finished_at = $1, error = 'the sync process "
          "ended without finishing the run' WHERE id = $2 AND status = 'running'",
          {now_iso(), r.text(i, 0)});
      if (PQcmdTuples(u.get())[0] != '0') {
        core::log_warn("catalog: run {} was left running by a {} that is gone; marked interrupted",
                       r.text(i, 0), process_gone ? "process" : "database session");
      }
    }
  }

  bool renew(const FireClaim& claim, std::chrono::milliseconds lease) {
    auto r = m_session.exec(
        "UPDATE job_claims SET lease_until = clock_timestamp() + $4::bigint * interval '1 "
        "millisecond' WHERE job = $1 AND scheduled_for = $2 AND daemon_id = $3 AND state = "
        "'running'",
        {claim.job, claim.scheduled_for, claim.daemon_id, num(lease.count())});
    return std::string_view(PQcmdTuples(r.get())) == "1";
  }

  // Inside start_run's transaction: the run becomes the claim's, or the run
  // is not recorded at all when the daemon lost the claim meanwhile.
  void link_claim(const RunStart& start, const std::string& run_id) {
    auto r = m_session.exec(
        "UPDATE job_claims SET run_id = $4 WHERE job = $1 AND scheduled_for = $2 AND daemon_id = "
        "$3 AND state = 'running'",
        {start.job, start.scheduled_for, *start.claimed_by, run_id});
    if (std::string_view(PQcmdTuples(r.get())) != "1") {
      core::throw_runtime(
          fmt::format("job '{}': the fire at {} is no longer claimed by daemon {}", start.job,
                      start.scheduled_for.value_or(""), *start.claimed_by),
          "another daemon took it over after this one's lease expired");
    }
  }

  void release_run(std::int64_t run) {
    m_session.exec("SELECT pg_advisory_unlock($1::int, $2::int)", {num(k_run_locks), num(run)});
  }

  // Staged rows stream into the session's TEMP tables through COPY; a switch
  // between entities and edges (or any other statement) ends the open COPY.
  void begin_staging(Stage stage) {
    if (m_stage == stage) return;
    end_staging();
    m_session.begin_copy(stage == Stage::entities
                             ? "stage_entities (id, kind, fqn, fingerprint, body, observations, "
                               "state)"
                             : "stage_edges (from_fqn, to_fqn, kind, columns)");
    m_stage = stage;
  }
  void end_staging() {
    if (m_stage == Stage::none) return;
    m_stage = Stage::none;
    m_session.end_copy();
  }
  void clear_stage() {
    m_live.clear();
    m_session.exec_script("TRUNCATE stage_entities, stage_edges");
  }

  // The commit sequence of the source's newest run that wrote state (0 if none).
  std::int64_t committed_seq(std::string_view source) {
    return std::stoll(m_session
                          .value("SELECT coalesce(max(seq), 0) FROM runs WHERE source = $1",
                                 {std::string(source)})
                          .value_or("0"));
  }

  // The unchanged entities stage_entity kept only in the live index, as rows
  // of apply_entities, for the comparison that a concurrent commit calls for.
  void stage_unstaged() {
    m_session.exec_script("CREATE TEMP TABLE apply_seen (id TEXT PRIMARY KEY) ON COMMIT DROP");
    m_session.begin_copy("apply_seen (id)");
    m_live.index().each([&](const Hex128& id, bool seen) {
      if (seen) m_session.copy_row({to_hex(id)});
    });
    m_session.end_copy();
    // Seen with the live fingerprint of begin_stage, unless staged as changed.
    m_session.exec(
        fmt::format(
            "INSERT INTO apply_entities (id, kind, fqn, fingerprint, body, observations, state) "
            "SELECT e.id, e.kind, e.fqn, v.fingerprint, NULL, NULL, {} FROM apply_seen t JOIN "
            "entities e ON e.id = t.id JOIN versions v ON v.entity = e.id AND v.valid_from_seq <= "
            "$1 "
            "AND (v.valid_to_seq IS NULL OR v.valid_to_seq > $1) ON CONFLICT (id) DO NOTHING",
            static_cast<int>(StageState::unchanged)),
        {num(m_live.seq())});
  }

  void apply_edges(const std::string& source, const std::string& run, const std::string& seq,
                   const ApplyPolicy& policy) {
    // A live edge the run did not see is closed when its view is in scope, or
    // when the run saw the same edge with other column pairs.
    auto r = m_session.exec(
        "SELECT l.id, l.to_fqn, EXISTS (SELECT 1 FROM apply_edges s WHERE s.from_fqn = "
        "l.from_fqn AND s.to_fqn = l.to_fqn AND s.kind = l.kind) FROM lineage l WHERE l.source = "
        "$1 AND l.valid_to_run IS NULL AND NOT EXISTS (SELECT 1 FROM apply_edges s WHERE "
        "s.from_fqn = l.from_fqn AND s.to_fqn = l.to_fqn AND s.kind = l.kind AND s.columns = "
        "l.columns)",
        {source});
    std::string closing;
    for (int i = 0; i < r.rows(); ++i) {
      if (r.text(i, 2) == "t" || (policy.removable && policy.removable(r.text(i, 1)))) {
        closing += (closing.empty() ? "" : ",") + r.text(i, 0);
      }
    }
    if (!closing.empty()) {
      m_session.exec(
          "UPDATE lineage SET valid_to_run = $1, valid_to_seq = $2 WHERE id = ANY($3::bigint[])",
          {run, seq, "{" + closing + "}"});
    }
    m_session.exec(
        "INSERT INTO lineage (source, from_fqn, to_fqn, kind, columns, valid_from_run, "
        "valid_from_seq) SELECT $1, s.from_fqn, s.to_fqn, s.kind, s.columns, $2, $3 FROM "
        "apply_edges s WHERE NOT EXISTS (SELECT 1 FROM lineage l WHERE l.source = $1 AND "
        "l.valid_to_run IS NULL AND l.from_fqn = s.from_fqn AND l.to_fqn = s.to_fqn AND l.kind = "
        "s.kind AND l.columns = s.columns)",
        {source, run, seq});
  }

  std::int64_t seq_of(const std::string& run_id) {
    auto r =
        m_session.exec("SELECT seq, status FROM runs WHERE id = $1", {num(parse_run_id(run_id))});
    if (r.rows() == 0) core::throw_usage(fmt::format("no run {} in the catalog", run_id));
    if (r.is_null(0, 0)) {
      core::throw_usage(fmt::format("run {} is {} and recorded no state", run_id, r.text(0, 1)),
                        "pick a succeeded or partial run from 'connctl history'");
    }
    return r.integer(0, 0);
  }

  std::string m_describe;
  PgSession m_session;
  std::string m_host;
  std::mutex m_mutex;
  Stage m_stage = Stage::none;
  LiveStage m_live;  // the source's live fingerprints as begin_stage read them
};

// A password as written in a URL and as libpq decodes it: both are secrets.
void register_url_secret(const std::string& text) {
  core::register_secret(text);
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      decoded.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      decoded.push_back(text[i]);
    }
  }
  core::register_secret(decoded);
}

}  // namespace

std::string strip_password(const std::string& url) {
  std::string out = url;
  const auto scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const auto start = scheme_end + 3;
    const auto end = out.find_first_of("/?#", start);
    const auto at = out.rfind('@', end == std::string::npos ? out.size() - 1 : end);
    if (at != std::string::npos && at >= start) {
      const auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) {
        register_url_secret(out.substr(colon + 1, at - colon - 1));
        out.erase(colon, at - colon);
      }
    }
  }
  // A password given as a query parameter (…?password=…&…) goes too.
  const auto query = out.find('?');
  if (query != std::string::npos) {
    std::string kept;
    std::size_t pos = query + 1;
    while (pos <= out.size()) {
      auto amp = out.find('&', pos);
      if (amp == std::string::npos) amp = out.size();
      std::string param = out.substr(pos, amp - pos);
      if (param.starts_with("password=")) {
        register_url_secret(param.substr(9));
      } else if (!param.empty()) {
        kept += (kept.empty() ? "" : "&") + param;
      }
      pos = amp + 1;
    }
    out = out.substr(0, query) + (kept.empty() ? "" : "?" + kept);
  }
  return out;
}

std::unique_ptr<CatalogStore> open_postgres_store(const std::string& url) {
  return std::make_unique<PostgresStore>(url);
}

}  // namespace connctl::catalog

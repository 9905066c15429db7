#pragma once
// The catalog store: where sync keeps every source's metadata with its
// history. One interface so that the SQLite store (the default) and the
// PostgreSQL store behave identically; each keeps its SQL dialect inside.
//
// Time is counted in runs. Every run that writes state gets a commit sequence
// number (`seq`) in the transaction that applies it, so "the state after run R"
// is well defined even when two syncs of one source overlap in time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/entity.hpp"

namespace connctl::catalog {

// timed_out: the daemon cancelled the run at its job's timeout.
enum class RunStatus { running, succeeded, partial, failed, interrupted, timed_out };
std::string_view to_string(RunStatus status);
std::optional<RunStatus> parse_run_status(std::string_view text);

struct RunStart {
  std::string source;
  std::string job;                           // empty for a manual sync
  std::string trigger = "manual";            // manual | schedule | catch_up | retry | takeover
  std::optional<std::string> scheduled_for;  // ISO 8601, for scheduled runs
  // The daemon that claimed this fire (job, scheduled_for): start_run links
  // the run to the claim in the same transaction and throws core::Error when
  // the daemon no longer holds it (another daemon took it over).
  std::optional<std::string> claimed_by = std::nullopt;
};

struct RunInfo {
  std::string id;
  std::string source;
  std::string job;
  std::string trigger;
  std::optional<std::string> scheduled_for;
  std::string started_at;
  std::optional<std::string> finished_at;
  RunStatus status = RunStatus::running;
  std::int64_t added = 0;
  std::int64_t changed = 0;
  std::int64_t removed = 0;
  std::int64_t unchanged = 0;
  std::string error;
  std::string host;
  std::int64_t pid = 0;
  // The source's change signature the run extracted under (see
  // Extractor::change_signature), when the source has one.
  std::optional<std::string> signature;
};

struct RunQuery {
  std::optional<std::string> source;
  std::optional<RunStatus> status;
  std::size_t limit = 20;
};

struct ApplyCounts {
  std::int64_t added = 0;
  std::int64_t changed = 0;
  std::int64_t removed = 0;
  std::int64_t unchanged = 0;
};

// What the sync engine decides and the store carries out inside the apply
// transaction, so that the decision sees exactly the state it changes.
struct ApplyPolicy {
  // Whether a live entity (or lineage edge, by its `to`) that the run did not
  // see may be closed: in filter scope and inside a completely listed container.
  std::function<bool(std::string_view fqn)> removable;
  // Whether lineage was extracted at all; without it no edge is closed.
  bool lineage = true;
  // Called with the number of removals and of live entities before anything
  // is written; throwing aborts the transaction (the mass-delete guard).
  std::function<void(std::int64_t removals, std::int64_t live)> check_removals;
  // Recorded with the run: the change signature read before extracting.
  std::optional<std::string> signature;
};

// One entity as the catalog holds it at some point in time.
struct StoredEntity {
  std::string id;
  std::string kind;
  std::string fqn;
  std::string fingerprint;
  std::string body;  // canonical JSON
  std::string valid_from_run;
  std::optional<std::string> valid_to_run;
};

struct StoredEdge {
  std::string from;
  std::string to;
  std::string kind;
  std::string columns;  // canonical JSON array of [from, to] pairs
};

// Several daemons on one catalog: each fire of a job, (job, scheduled_for),
// is claimed by one daemon through a unique row with a lease that the holder
// renews while the fire is going on (its run, or the wait for a retry). When
// the lease runs out (by the database's clock) and the fire is not done,
// another daemon takes the claim over. See docs/daemon.md.
struct FireClaim {
  std::string job;
  std::string scheduled_for;  // ISO 8601 UTC as core::format_iso8601_utc writes it
  std::string daemon_id;      // the daemon that asks (claim_fire) or holds (expired_claims)
};

enum class ClaimResult {
  won,         // a new claim: this daemon runs the fire
  own,         // this daemon already held it (a retry); the lease is renewed
  taken_over,  // the holder's lease had expired; its run, if still open, is now interrupted
  held,        // another daemon holds a live lease (or its run's process is alive)
  done,        // the fire is finished (by whichever daemon); nothing to run
};
std::string_view to_string(ClaimResult result);

// A claim row that claim_fire found already there, as read under its lock.
struct ExistingClaim {
  std::string holder;                     // daemon_id
  bool done = false;                      // state = 'done'
  bool expired = false;                   // lease_until is before the database's now
  std::optional<std::string> run_status;  // of the run linked to the claim, if any
  bool run_alive = false;                 // that run is open under a process that is still there
};
// The one rule of every store for such a row: done when the fire is done or
// its run committed (the holder died before it said so); own when it is
// daemon_id's; held while the lease or the run lives; taken_over otherwise.
ClaimResult decide_existing_claim(const ExistingClaim& row, const std::string& daemon_id);

// The words of a catalog search (`connctl catalog search TEXT`): runs of
// letters, digits and non-ASCII bytes; everything else separates them, so no
// query syntax of either store's full-text search gets through.
std::vector<std::string> search_words(std::string_view text);

struct ClaimOutcome {
  ClaimResult result = ClaimResult::held;
  std::string holder;                       // the daemon holding it before this call
  std::optional<std::string> previous_run;  // taken_over: the run of the previous holder
};

// A row of a catalog table as text (nullopt is NULL), in the column order of
// catalog_tables(): the portable form in which `catalog migrate` copies a
// whole catalog from one store to another without either's SQL dialect.
using RawRow = std::vector<std::optional<std::string>>;
struct CatalogTable {
  std::string_view name;
  std::vector<std::string_view> columns;
};
// The tables every store holds, each after the tables it references.
const std::vector<CatalogTable>& catalog_tables();
// Receives rows during import_rows(): every row of one table before the next
// table's, tables in catalog_tables() order.
using RawRowSink = std::function<void(std::string_view table, const RawRow& row)>;

class CatalogStore {
 public:
  virtual ~CatalogStore() = default;

  // The URL it was opened with, without secrets.
  virtual std::string describe() const = 0;

  // Inserts the run as `running` in its own short transaction; returns its id.
  virtual std::string start_run(const RunStart& start) = 0;
  // Finishes a run that wrote no state (failed, interrupted) in its own transaction.
  virtual void finish_run(const std::string& run_id, RunStatus status,
                          const std::string& error) = 0;

  // Staging: what the running sync has seen so far. Staged rows live outside
  // the catalog's tables and take no write lock; they vanish with the process.
  // begin_stage tells which source the rows belong to, so that a store may
  // keep only the fingerprint of an entity whose live version it already holds
  // (its body is then taken from that version at apply).
  virtual void begin_stage(std::string_view source) { (void)source; }
  virtual void stage_entity(const schema::Entity& entity) = 0;
  virtual void stage_edge(const schema::LineageEdge& edge) = 0;

  // Compares the staged rows of `source` with its live versions and writes the
  // differences and the run's final row in one transaction. Clears the stage.
  virtual ApplyCounts apply(const std::string& run_id, const std::string& source, RunStatus status,
                            const std::string& error, const ApplyPolicy& policy) = 0;

  // Records a run that found its source unchanged by signature (the newest
  // committed run of `source` has the same one): it commits like a run that
  // saw every entity unchanged (a `seq`, unchanged = the live entities), and
  // writes nothing else.
  virtual ApplyCounts apply_unchanged(const std::string& run_id, const std::string& source,
                                      const std::string& signature) = 0;

  // Runs newest first.
  virtual std::vector<RunInfo> runs(const RunQuery& query) = 0;
  virtual std::optional<RunInfo> find_run(const std::string& run_id) = 0;
  // The newest run of `source` (any source when empty) that wrote state and
  // finished at or before `iso_time` (ISO 8601 UTC), or the newest at all.
  virtual std::optional<RunInfo> last_committed_run(std::string_view source,
                                                    const std::optional<std::string>& iso_time) = 0;

  // The entities of a source as they stood after run `run_id` committed
  // (live now when nullopt), ordered by FQN.
  virtual std::vector<StoredEntity> entities_at(std::string_view source,
                                                const std::optional<std::string>& run_id) = 0;
  virtual std::vector<StoredEdge> edges_at(std::string_view source,
                                           const std::optional<std::string>& run_id) = 0;
  // Every version of entities with this FQN, oldest first.
  virtual std::vector<StoredEntity> versions_of(std::string_view fqn) = 0;

  // Live entities whose name, FQN or comment matches every word of `text`
  // (as prefixes), best matches first.
  virtual std::vector<StoredEntity> search(std::string_view text, std::size_t limit) = 0;

  // Row counts per table, for `catalog stats` and the tests.
  virtual std::vector<std::pair<std::string, std::int64_t>> table_counts() = 0;

  // Invariant violations, one readable line each; empty when the store is sound.
  virtual std::vector<std::string> verify() = 0;

  // --- fire claims (several daemons on one catalog) ----------------------
  // Claims (job, scheduled_for) for claim.daemon_id with a lease of `lease`
  // from the database's now, in one transaction: a new row wins; a row whose
  // lease expired while its fire was not done is taken over, unless its run
  // is still open under a live process (PostgreSQL: the run's session holds
  // its lock; SQLite: same host and its pid alive). On a takeover the
  // previous holder's open run is marked interrupted; when that run had in
  // fact succeeded (or ended partial) the claim is marked done instead.
  virtual ClaimOutcome claim_fire(const FireClaim& claim, std::chrono::milliseconds lease) = 0;
  // Extends the lease of a claim this daemon holds; false when it no longer
  // holds it (taken over, or done).
  virtual bool renew_claim(const FireClaim& claim, std::chrono::milliseconds lease) = 0;
  // The holder is finished with the fire: `done` marks it done for good;
  // otherwise the lease is expired at once so that another daemon may take
  // the fire over (a run cancelled by a shutdown).
  virtual void end_claim(const FireClaim& claim, bool done) = 0;
  // Claims whose lease has expired while their fire is not done, oldest
  // fire first (daemon_id: the holder).
  virtual std::vector<FireClaim> expired_claims(std::size_t limit) = 0;
  // Expires every open claim not held by `daemon_id`: for a daemon that knows
  // it is alone on the catalog (the SQLite flock), at start.
  virtual void expire_claims_except(const std::string& daemon_id) = 0;
  // Deletes done claims whose lease ended more than `age` ago; returns how many.
  virtual std::int64_t prune_claims(std::chrono::milliseconds age) = 0;

  // Every row of every table, tables in catalog_tables() order and each in a
  // stable order, read from one snapshot (a sync committing meanwhile is
  // either wholly in it or not at all).
  virtual void export_rows(const RawRowSink& sink) = 0;
  // Fills an EMPTY catalog, in one transaction, with the rows `produce` hands
  // to its sink (ids, seq and times kept), then rebuilds derived indexes
  // (search). Throws core::Error(usage) when the catalog holds any row.
  virtual void import_rows(const std::function<void(const RawRowSink&)>& produce) = 0;
};

// Opens (creating and migrating as needed) the catalog at `url`:
// sqlite:///abs/path.db, a plain path, or postgresql://[user[:password]@]host[:port]/db
// (also postgres://). Marks runs left `running` by dead processes on this host
// (and, in PostgreSQL, by sessions that are gone) as interrupted. Throws core::Error.
std::unique_ptr<CatalogStore> open_store(const std::string& url);

// $XDG_STATE_HOME/connctl/catalog.db (default ~/.local/state/connctl/catalog.db).
std::string default_catalog_url();

}  // namespace connctl::catalog

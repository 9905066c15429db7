#include "catalog/migrations/sqlite_migrations.hpp"

namespace connctl::catalog {
namespace {

// Version 1: runs, entities, versions valid from one run to another, lineage
// edges with the same validity, and observations as a time series.
constexpr std::string_view k_v1 = R"sql(
CREATE TABLE runs (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  source        TEXT NOT NULL,
  job           TEXT,
  trigger       TEXT NOT NULL,
  scheduled_for TEXT,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  status        TEXT NOT NULL
                CHECK (status IN ('running','succeeded','partial','failed','interrupted')),
  added         INTEGER NOT NULL DEFAULT 0,
  changed       INTEGER NOT NULL DEFAULT 0,
  removed       INTEGER NOT NULL DEFAULT 0,
  unchanged     INTEGER NOT NULL DEFAULT 0,
  error         TEXT,
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  seq           INTEGER UNIQUE
);
CREATE INDEX runs_by_source ON runs (source, id);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

CREATE TABLE entities (
  id        TEXT PRIMARY KEY,
  source    TEXT NOT NULL,
  kind      TEXT NOT NULL,
  fqn       TEXT NOT NULL,
  first_run INTEGER NOT NULL REFERENCES runs (id)
);
CREATE INDEX entities_by_source ON entities (source, fqn);
CREATE INDEX entities_by_fqn ON entities (fqn);

CREATE TABLE versions (
  entity         TEXT NOT NULL REFERENCES entities (id),
  valid_from_run INTEGER NOT NULL REFERENCES runs (id),
  valid_to_run   INTEGER REFERENCES runs (id),
  valid_from_seq INTEGER NOT NULL,
  valid_to_seq   INTEGER,
  fingerprint    TEXT NOT NULL,
  body           TEXT NOT NULL,
  PRIMARY KEY (entity, valid_from_seq)
);
CREATE UNIQUE INDEX versions_live ON versions (entity) WHERE valid_to_run IS NULL;

CREATE TABLE lineage (
  source         TEXT NOT NULL,
  from_fqn       TEXT NOT NULL,
  to_fqn         TEXT NOT NULL,
  kind           TEXT NOT NULL,
  columns        TEXT NOT NULL,
  valid_from_run INTEGER NOT NULL REFERENCES runs (id),
  valid_to_run   INTEGER REFERENCES runs (id),
  valid_from_seq INTEGER NOT NULL,
  valid_to_seq   INTEGER
);
CREATE INDEX lineage_live ON lineage (source, to_fqn) WHERE valid_to_run IS NULL;
CREATE INDEX lineage_from ON lineage (from_fqn);
CREATE INDEX lineage_to ON lineage (to_fqn);

CREATE TABLE observations (
  entity TEXT NOT NULL REFERENCES entities (id),
  run    INTEGER NOT NULL REFERENCES runs (id),
  body   TEXT NOT NULL,
  PRIMARY KEY (entity, run)
);
)sql";

// Version 2: a full-text index over the names and comments of live entities,
// kept by the apply transaction; filled from the live versions once here.
constexpr std::string_view k_v2 = R"sql(
CREATE VIRTUAL TABLE entity_search USING fts5 (fqn, name, comment, entity UNINDEXED, kind UNINDEXED);
INSERT INTO entity_search (fqn, name, comment, entity, kind)
  SELECT e.fqn, json_extract(v.body, '$.name'), json_extract(v.body, '$.comment'), e.id, e.kind
  FROM versions v JOIN entities e ON e.id = v.entity WHERE v.valid_to_run IS NULL;
)sql";

// Version 3: the status `timed_out` (a daemon run cancelled at its timeout).
// SQLite cannot change a CHECK constraint in place, so `runs` is rebuilt; the
// store runs migrations with foreign keys off and checks them before commit.
constexpr std::string_view k_v3 = R"sql(
CREATE TABLE runs_v3 (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  source        TEXT NOT NULL,
  job           TEXT,
  trigger       TEXT NOT NULL,
  scheduled_for TEXT,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  status        TEXT NOT NULL
                CHECK (status IN ('running','succeeded','partial','failed','interrupted','timed_out')),
  added         INTEGER NOT NULL DEFAULT 0,
  changed       INTEGER NOT NULL DEFAULT 0,
  removed       INTEGER NOT NULL DEFAULT 0,
  unchanged     INTEGER NOT NULL DEFAULT 0,
  error         TEXT,
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  seq           INTEGER UNIQUE
);
INSERT INTO runs_v3 SELECT id, source, job, trigger, scheduled_for, started_at, finished_at,
  status, added, changed, removed, unchanged, error, host, pid, seq FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v3 RENAME TO runs;
CREATE INDEX runs_by_source ON runs (source, id);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';
CREATE INDEX runs_by_job ON runs (job, scheduled_for) WHERE job IS NOT NULL;
)sql";

// Version 4: the change signature a run extracted under, so that the next
// sync of an unchanged source need not extract it.
constexpr std::string_view k_v4 = R"sql(
ALTER TABLE runs ADD COLUMN signature TEXT;
)sql";

// Version 5: fire claims of the daemon, one row per (job, scheduled_for), as
// in the PostgreSQL store; lease_until is Unix milliseconds by SQLite's clock.
constexpr std::string_view k_v5 = R"sql(
CREATE TABLE job_claims (
  job           TEXT NOT NULL,
  scheduled_for TEXT NOT NULL,
  daemon_id     TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('running','done')),
  lease_until   INTEGER NOT NULL,
  claimed_at    TEXT NOT NULL,
  run_id        INTEGER,
  takeovers     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job, scheduled_for)
);
CREATE INDEX job_claims_open ON job_claims (lease_until) WHERE state = 'running';
)sql";

// Version 6: a source's newest committed run (the one a sync compares its
// change signature with, once per run) found without sorting its history.
constexpr std::string_view k_v6 = R"sql(
CREATE INDEX runs_committed ON runs (source, seq) WHERE seq IS NOT NULL;
)sql";

}  // namespace

const std::vector<Migration>& sqlite_migrations() {
  static const std::vector<Migration> k_all = {{1, k_v1}, {2, k_v2}, {3, k_v3},
                                               {4, k_v4}, {5, k_v5}, {6, k_v6}};
  return k_all;
}

}  // namespace connctl::catalog

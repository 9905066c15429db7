"""connctl against a real PostgreSQL 15 (pg_server.py): extract validates
against the published schema and matches pg_catalog's counts; an unreachable
server and a wrong password exit 3 with nothing written and no password on
stderr; a missing grant exits 4 (extract) and 3 (test-connection, naming the
grant); a server restarted mid-extract exits 3 and leaves no --output file; a
server restarted mid-sync records the run failed and removes nothing. With
several databases: one the role may not connect to is left out with a note and
loses nothing in the catalog; a listed database that does not exist, or one
whose session is killed mid-extract, fails the run with exit 3 and nothing
written."""

import json
import os
import sqlite3
import subprocess
import time
import unittest

import support
from pg_server import DATABASE, LIMITED, READER, PgServer
from support import RECORD_VALIDATOR, CliTestCase, normalise_extracted_at, run

SERVER = None


def setUpModule():
    global SERVER
    SERVER = PgServer()


def tearDownModule():
    if SERVER:
        SERVER.stop()


USER_SCHEMAS = "(SELECT oid FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema')"


class PostgresCliTest(CliTestCase):
    def count(self, sql):
        return int(SERVER.psql(DATABASE, sql).strip())

    def test_extract_validates_and_counts_equal_pg_catalog(self):
        proc = run("extract", SERVER.url())
        self.assertExit(proc, 0)
        doc = self.assertValidDocument(proc.stdout)
        self.assertEqual("postgres", doc["extractor"])
        self.assertEqual(DATABASE, doc["source"])
        self.assertEqual("complete", doc["completeness"]["status"])
        kinds = {}
        for e in doc["entities"]:
            kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
        self.assertEqual(self.count(f"SELECT count(*) FROM pg_class WHERE relkind = 'v' AND relnamespace IN "
                                    f"{USER_SCHEMAS}"), kinds["view"])
        self.assertEqual(self.count(f"SELECT count(*) FROM pg_class WHERE relkind IN ('r','p','f') AND "
                                    f"relnamespace IN {USER_SCHEMAS}"), kinds["table"])
        self.assertEqual(self.count(f"SELECT count(*) FROM pg_class WHERE relkind = 'S' AND relnamespace IN "
                                    f"{USER_SCHEMAS}"), kinds["sequence"])
        self.assertEqual(self.count(f"SELECT count(*) FROM pg_proc WHERE pronamespace IN {USER_SCHEMAS}"),
                         kinds["routine"])
        names = {e["name"] for e in doc["entities"]}
        self.assertIn('order.items "legacy" archive', names)
        self.assertIn("line\nbreak", names)
        edges = {(e["from"], e["to"]) for e in doc["lineage"]}
        self.assertIn((f"{DATABASE}.{DATABASE}.reporting.customer_totals",
                       f"{DATABASE}.{DATABASE}.reporting.top_customers"), edges)
        self.assertNotIn(READER[1], proc.stderr.decode())

    def test_ndjson_records_validate_and_output_is_deterministic(self):
        first = run("extract", SERVER.url(), "--format", "ndjson")
        self.assertExit(first, 0)
        for line in first.stdout.decode().splitlines():
            errors = list(RECORD_VALIDATOR.iter_errors(json.loads(line)))
            self.assertEqual([], [e.message for e in errors[:3]], line[:200])
        second = run("extract", SERVER.url(), "--format", "ndjson")
        self.assertEqual(normalise_extracted_at(first.stdout), normalise_extracted_at(second.stdout))

    def test_unreachable_server_exits_3_with_nothing_written(self):
        self.assertExtractWritesNothing("postgresql://connctl_reader:Some-Pw-123@127.0.0.1:1/x?sslmode=disable",
                                        "Some-Pw-123")

    def test_wrong_password_exits_3_and_never_prints_the_password(self):
        proc = self.assertExtractWritesNothing(SERVER.url(password="Wrong-Pw-d00d"), "Wrong-Pw-d00d")
        self.assertIn("password authentication failed", proc.stderr.decode())
        tc = run("test-connection", SERVER.url(password="Wrong-Pw-d00d"), "--format", "json")
        self.assertExit(tc, 3)
        self.assertNotIn(b"Wrong-Pw-d00d", tc.stdout + tc.stderr)

    def test_missing_grant_extract_exits_4_and_test_connection_names_the_grant(self):
        proc = run("extract", SERVER.url(role=LIMITED))
        self.assertExit(proc, 4)
        doc = self.assertValidDocument(proc.stdout)
        self.assertEqual("partial", doc["completeness"]["status"])
        skipped = [w for w in doc["warnings"] if w["skipped"]]
        self.assertEqual(1, len(skipped))
        self.assertIn("GRANT USAGE ON SCHEMA restricted", skipped[0]["message"])
        tc = run("test-connection", SERVER.url(role=LIMITED), "--format", "json")
        self.assertExit(tc, 3)
        report = json.loads(tc.stdout)
        failed = [s for s in report["steps"] if s["status"] == "failed"]
        self.assertEqual(f"schema_usage:{DATABASE}.restricted", failed[0]["name"])
        self.assertEqual("GRANT USAGE ON SCHEMA restricted TO connctl_limited", failed[0]["hint"])
        ok = run("test-connection", SERVER.url(), "--format", "json")
        self.assertExit(ok, 0)

    def test_server_restarted_mid_extract_exits_3_and_writes_no_output(self):
        # A session holding an exclusive lock on a table that a view reads makes
        # connctl wait inside its catalog reads (pg_get_viewdef locks what a view
        # reads); the server is then restarted under it.
        out = self.tmp / "out.json"
        proc, _, stderr = self._restart_while_waiting(DATABASE, "shop", "orders",
                                                      ["extract", SERVER.url(), "--output", str(out)])
        self.assertEqual(3, proc.returncode, stderr.decode())
        self.assertIn("lost during extraction", stderr.decode())
        self.assertFalse(out.exists())
        self.assertEqual([], list(self.tmp.iterdir()))
        self.assertExit(run("extract", SERVER.url()), 0)

    def test_server_restarted_mid_sync_records_failed_and_removes_nothing(self):
        db = "midway"
        SERVER.psql("postgres", f"DROP DATABASE IF EXISTS {db}")
        SERVER.psql("postgres", f"CREATE DATABASE {db}")
        SERVER.psql(db, "CREATE TABLE kept (id int PRIMARY KEY, v text); CREATE TABLE gone (id int);"
                        "CREATE VIEW kept_v AS SELECT id, v FROM kept")
        url = f"postgresql://postgres@127.0.0.1:{SERVER.port}/{db}?sslmode=disable"
        catalog = self.tmp / "catalog.db"

        def sync(code):
            proc = run("sync", url, "--format", "json", "--catalog", f"sqlite://{catalog}")
            self.assertExit(proc, code)
            return proc

        def live():
            conn = sqlite3.connect(catalog)
            try:
                return {f for (f,) in conn.execute("SELECT e.fqn FROM entities e JOIN versions v ON "
                                                   "v.entity = e.id AND v.valid_to_run IS NULL")}
            finally:
                conn.close()

        sync(0)
        before = live()
        self.assertTrue(any(f.endswith(".public.gone") for f in before))
        # A complete sync now would remove `gone`; this one is cut halfway.
        SERVER.psql(db, "DROP TABLE gone")
        proc, stdout, stderr = self._restart_while_waiting(
            db, "public", "kept", ["sync", url, "--format", "json", "--catalog", f"sqlite://{catalog}"])
        self.assertEqual(3, proc.returncode, stderr.decode())
        self.assertEqual(b"", stdout)
        history = json.loads(run("history", "--format", "json", "--catalog", f"sqlite://{catalog}").stdout)
        self.assertEqual(["failed", "succeeded"], [r["status"] for r in history])
        self.assertIn("lost", history[0]["error"])
        self.assertEqual(before, live(), "the failed run changed the catalog")
        self.assertExit(run("catalog", "verify", "--catalog", f"sqlite://{catalog}"), 0)
        # The next complete run sees the drop.
        summary = json.loads(sync(0).stdout)
        self.assertGreaterEqual(summary["removed"], 2)  # the table and its column
        self.assertFalse(any(f.endswith(".public.gone") for f in live()))

    def test_a_filter_that_excludes_a_schema_removes_nothing_from_it(self):
        db = "excluded_schema"
        SERVER.psql("postgres", f"DROP DATABASE IF EXISTS {db}")
        SERVER.psql("postgres", f"CREATE DATABASE {db}")
        # Enough tables that two removals stay under the 20% mass-delete guard.
        SERVER.psql(db, "CREATE SCHEMA a; CREATE TABLE a.t (id int); CREATE SCHEMA b; CREATE TABLE b.t (id int);"
                        + "".join(f"CREATE TABLE a.keep{i} (id int); CREATE TABLE b.keep{i} (id int);"
                                  for i in range(6)))
        url = f"postgresql://postgres@127.0.0.1:{SERVER.port}/{db}?sslmode=disable"
        catalog = f"sqlite://{self.tmp / 'catalog.db'}"

        def sync(*extra):
            proc = run("sync", url, "--format", "json", "--catalog", catalog, *extra)
            self.assertExit(proc, 0)
            return json.loads(proc.stdout)

        sync()
        SERVER.psql(db, "DROP TABLE b.t; DROP TABLE a.t")
        filtered = sync("--exclude", f"{db}.b")
        self.assertEqual(2, filtered["removed"], "a.t and its column go; nothing of b")
        show = run("catalog", "show", f"{db}.{db}.b.t", "--catalog", catalog)
        self.assertExit(show, 0)
        full = sync()
        self.assertEqual(2, full["removed"], "b.t and its column, once b is in scope again")

    def test_an_unchanged_database_is_synced_by_its_change_signature_without_extracting(self):
        db = "signature_sync"
        SERVER.psql("postgres", f"DROP DATABASE IF EXISTS {db}")
        SERVER.psql("postgres", f"CREATE DATABASE {db}")
        SERVER.psql(db, "CREATE TABLE t (id int, v text)")
        url = f"postgresql://postgres@127.0.0.1:{SERVER.port}/{db}?sslmode=disable"
        catalog = f"sqlite://{self.tmp / 'catalog.db'}"

        def sync(*extra):
            proc = run("sync", url, "--format", "json", "--catalog", catalog, *extra)
            self.assertExit(proc, 0)
            return json.loads(proc.stdout), proc.stderr.decode()

        first, log = sync()
        self.assertNotIn("unchanged since its last run", log)
        SERVER.psql(db, "INSERT INTO t VALUES (1, 'x'); ANALYZE t")
        skipped, log = sync()
        self.assertIn("unchanged since its last run", log)
        self.assertEqual((0, 0, 0, first["added"]),
                         (skipped["added"], skipped["changed"], skipped["removed"], skipped["unchanged"]))
        full, log = sync("--full")
        self.assertNotIn("unchanged since its last run", log)
        self.assertEqual(first["added"], full["unchanged"])
        SERVER.psql(db, "COMMENT ON COLUMN t.v IS 'value'")
        changed, log = sync()
        self.assertNotIn("unchanged since its last run", log)
        self.assertEqual(1, changed["changed"])
        self.assertIn("unchanged since its last run", sync()[1])
        # A different scope is not the same run: it extracts.
        self.assertNotIn("unchanged since its last run", sync("--exclude", f"{db}.nothing")[1])
        history = json.loads(run("history", "--format", "json", "--catalog", catalog).stdout)
        self.assertTrue(all(r["status"] == "succeeded" for r in history))
        self.assertExit(run("catalog", "verify", "--catalog", catalog), 0)

    def _multi_config(self, databases, parallelism=2, include=None):
        config = self.tmp / "connctl.toml"
        listed = ", ".join(f'"{d}"' for d in databases)
        config.write_text(f"""[[source]]
name = "multi"
type = "postgres"
host = "127.0.0.1"
port = {SERVER.port}
dbname = "postgres"
user = "{READER[0]}"
password = "${{env:MULTI_PG_PASSWORD}}"
sslmode = "disable"
databases = [{listed}]
parallelism = {parallelism}
""" + (f'include = ["{include}"]\n' if include else ""))
        return config

    def _run_multi(self, config, *args):
        return run("--config", str(config), *args, env={"MULTI_PG_PASSWORD": READER[1]})

    def test_every_database_leaves_out_one_without_connect_and_sync_removes_nothing_of_it(self):
        for db in ("multi_a", "multi_b"):
            SERVER.psql("postgres", f"DROP DATABASE IF EXISTS {db}")
            SERVER.psql("postgres", f"CREATE DATABASE {db}")
            SERVER.psql(db, "CREATE SCHEMA s; CREATE TABLE s.t (id int); GRANT USAGE ON SCHEMA s TO PUBLIC")
        # Only this test's databases: other tests leave theirs on the server.
        config = self._multi_config(["*"], include="multi_*")
        catalog = f"sqlite://{self.tmp / 'catalog.db'}"
        try:
            first = self._run_multi(config, "sync", "multi", "--format", "json", "--catalog", catalog)
            self.assertExit(first, 0)
            SERVER.psql("postgres", "REVOKE CONNECT ON DATABASE multi_b FROM PUBLIC")
            out = self._run_multi(config, "extract", "multi")
            self.assertExit(out, 0)
            doc = json.loads(out.stdout)
            names = {e["name"] for e in doc["entities"] if e["kind"] == "database"}
            self.assertIn("multi_a", names)
            self.assertNotIn("multi_b", names)
            note = [w for w in doc["warnings"] if w["object"] == "multi.multi_b"]
            self.assertEqual(1, len(note), doc["warnings"])
            self.assertFalse(note[0]["skipped"])
            self.assertIn("GRANT CONNECT ON DATABASE multi_b", note[0]["message"])
            second = self._run_multi(config, "sync", "multi", "--format", "json", "--catalog", catalog)
            self.assertExit(second, 0)
            self.assertEqual(0, json.loads(second.stdout)["removed"])
            show = run("catalog", "show", "multi.multi_b.s.t", "--catalog", catalog)
            self.assertExit(show, 0)
        finally:
            SERVER.psql("postgres", "GRANT CONNECT ON DATABASE multi_b TO PUBLIC")

    def test_a_listed_database_that_does_not_exist_fails_with_exit_3_and_nothing_written(self):
        config = self._multi_config([DATABASE, "no_such_db"])
        out = self.tmp / "out.json"
        proc = self._run_multi(config, "extract", "multi", "--output", str(out))
        self.assertExit(proc, 3)
        self.assertIn("no_such_db", proc.stderr.decode())
        self.assertNotIn(READER[1], proc.stderr.decode())
        self.assertFalse(out.exists())

    def test_one_database_session_killed_mid_extract_fails_the_run_with_nothing_written(self):
        # connctl_other is read while connctl_test's session waits on a lock;
        # that waiting session is then terminated.
        holder = subprocess.Popen(SERVER.psql_args(DATABASE), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        holder.stdin.write(b"BEGIN; LOCK TABLE shop.orders IN ACCESS EXCLUSIVE MODE; SELECT 1;\n")
        holder.stdin.flush()
        config = self._multi_config([DATABASE, "connctl_other"])
        out = self.tmp / "out.json"
        try:
            self._wait_for("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                           "WHERE c.relname = 'orders' AND l.mode = 'AccessExclusiveLock' AND l.granted")
            proc = subprocess.Popen([support.BINARY, "--config", str(config), "extract", "multi", "--output",
                                     str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env={**os.environ, "MULTI_PG_PASSWORD": READER[1]})
            self._wait_for("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'connctl' "
                           "AND wait_event_type = 'Lock'")
            SERVER.psql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE application_name = 'connctl' AND wait_event_type = 'Lock'")
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            holder.kill()
            holder.stdin.close()
            holder.wait()
        self.assertEqual(3, proc.returncode, stderr.decode())
        self.assertIn(DATABASE, stderr.decode())
        self.assertFalse(out.exists())
        self.assertEqual([p.name for p in self.tmp.iterdir()], ["connctl.toml"])

    def _restart_while_waiting(self, db, schema, table, args):
        """Runs connctl with `args` while another session holds an exclusive
        lock on schema.table in `db`, and restarts the server (immediate) once
        connctl waits on that lock; returns (process, stdout, stderr)."""
        holder = subprocess.Popen(SERVER.psql_args(db), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        holder.stdin.write(f"BEGIN; LOCK TABLE {schema}.{table} IN ACCESS EXCLUSIVE MODE; SELECT 1;\n".encode())
        holder.stdin.flush()
        try:
            self._wait_for("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                           f"WHERE c.relname = '{table}' AND l.mode = 'AccessExclusiveLock' AND l.granted", db=db)
            proc = subprocess.Popen([support.BINARY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self._wait_for("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'connctl' "
                           "AND wait_event_type = 'Lock'", db=db)
            SERVER.restart_immediate()
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            holder.kill()
            holder.stdin.close()
            holder.wait()
        return proc, stdout, stderr

    def _wait_for(self, sql, timeout=30, db=DATABASE):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if int(SERVER.psql(db, sql).strip()) > 0:
                return
            time.sleep(0.05)
        self.fail(f"timed out waiting for: {sql}")


if __name__ == "__main__":
    unittest.main()

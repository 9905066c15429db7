"""End-to-end tests of connctl sync and history (and of the catalog they
leave behind), with real SQLite sources, against a SQLite catalog (read back
with Python's sqlite3) and the same scenarios against a PostgreSQL catalog
(read back with psql)."""

import json
import os
import random
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path

from catalogs import PgCatalog, SqliteCatalog, live_state, scalar
from pg_server import PgServer
from support import BINARY, SOURCE_DIR, CliTestCase, run

BASE_SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(10));
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total REAL);
CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT, price REAL);
CREATE TABLE suppliers (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE staging_audit (id INTEGER PRIMARY KEY, at TEXT);
CREATE INDEX orders_by_customer ON orders(customer_id);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
"""


SERVER = None


def pg_server():
    """The PostgreSQL server of this module, started on first use."""
    global SERVER
    if SERVER is None:
        SERVER = PgServer()
    return SERVER


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class SyncTest(CliTestCase):
    """Against a SQLite catalog; PostgresCatalogSyncTest runs every test again
    against a PostgreSQL catalog."""

    def make_catalog(self):
        return SqliteCatalog(self.tmp / "catalog.db")

    def setUp(self):
        super().setUp()
        self.db = self.tmp / "shop.db"
        self.execute(BASE_SCHEMA)
        self.cat = self.make_catalog()
        self.catalog = self.cat.url

    def execute(self, sql, db=None):
        conn = sqlite3.connect(db or self.db)
        conn.executescript(sql)
        conn.close()

    def sync(self, *extra, code=0):
        proc = run("sync", f"sqlite://{self.db}", "--format", "json", "--catalog", str(self.catalog), *extra)
        self.assertExit(proc, code)
        return json.loads(proc.stdout) if proc.stdout.strip() else None

    def test_summary_has_the_documented_fields(self):
        s = self.sync()
        self.assertEqual({"run_id", "source", "status", "added", "changed", "removed", "unchanged",
                          "duration_ms", "warnings"}, set(s))
        self.assertEqual("succeeded", s["status"])
        self.assertEqual("shop", s["source"])
        self.assertEqual(scalar(self.cat, "SELECT count(*) FROM entities"), s["added"])

    def test_resync_without_changes_writes_no_version_rows(self):
        first = self.sync()
        versions = scalar(self.cat, "SELECT count(*) FROM versions")
        lineage = scalar(self.cat, "SELECT count(*) FROM lineage")
        # The second run is recorded by the change signature, the third
        # extracts and compares every entity.
        for n, extra in ((2, ()), (3, ("--full",))):
            again = self.sync(*extra)
            self.assertEqual((0, 0, 0), (again["added"], again["changed"], again["removed"]))
            self.assertEqual(first["added"], again["unchanged"])
            self.assertEqual(versions, scalar(self.cat, "SELECT count(*) FROM versions"))
            self.assertEqual(lineage, scalar(self.cat, "SELECT count(*) FROM lineage"))
            self.assertEqual(n, scalar(self.cat, "SELECT count(*) FROM runs"))

    def test_an_unchanged_file_is_synced_by_its_change_signature_without_extracting(self):
        def sync(*extra):
            proc = run("sync", f"sqlite://{self.db}", "--format", "json", "--catalog", str(self.catalog), *extra)
            self.assertExit(proc, 0)
            return json.loads(proc.stdout), proc.stderr.decode()

        marker = "unchanged since its last run"
        first, log = sync()
        self.assertNotIn(marker, log)
        # Rows are not metadata without --stats.
        self.execute("INSERT INTO suppliers (name) VALUES ('acme')")
        skipped, log = sync()
        self.assertIn(marker, log)
        self.assertEqual((0, 0, 0, first["added"]),
                         (skipped["added"], skipped["changed"], skipped["removed"], skipped["unchanged"]))
        self.assertNotIn(marker, sync("--full")[1])
        # --stats reads row counts, which no signature covers.
        self.assertNotIn(marker, sync("--stats")[1])
        # A pragma the database entity carries, and DDL, each move the signature.
        self.execute("PRAGMA user_version = 7")
        changed, log = sync()
        self.assertNotIn(marker, log)
        self.assertEqual(1, changed["changed"])
        self.assertIn(marker, sync()[1])
        self.execute("CREATE INDEX suppliers_by_name ON suppliers (name)")
        changed, log = sync()
        self.assertNotIn(marker, log)
        self.assertEqual(1, changed["added"])
        # A different scope is not the same run: it extracts.
        self.assertNotIn(marker, sync("--exclude", "main.nothing")[1])
        self.assertExit(run("catalog", "verify", "--catalog", str(self.catalog)), 0)

    def test_change_script_records_exactly_those_changes(self):
        self.sync()
        before = live_state(self.cat)
        self.execute("ALTER TABLE suppliers ADD COLUMN country TEXT;"
                     "CREATE TABLE shipments (id INTEGER PRIMARY KEY);"
                     "DROP INDEX orders_by_customer;")
        s = self.sync()
        after = live_state(self.cat)
        added = set(after) - set(before)
        removed = set(before) - set(after)
        changed = {k for k in set(before) & set(after) if before[k] != after[k]}
        self.assertEqual({("column", "shop.main.suppliers.country"), ("table", "shop.main.shipments"),
                          ("column", "shop.main.shipments.id")},
                         {k for k in added if k[0] != "constraint"})
        self.assertEqual({("index", "shop.main.orders.orders_by_customer")}, removed)
        self.assertEqual((len(added), len(changed), len(removed)), (s["added"], s["changed"], s["removed"]))
        self.assertIn(("table", "shop.main.suppliers"), changed)
        # Only the changed, added and closed rows were written.
        self.assertEqual(len(before) + len(added) + len(changed),
                         scalar(self.cat, "SELECT count(*) FROM versions"))

    def test_catalog_show_at_an_earlier_run_returns_that_state(self):
        first = self.sync()
        time.sleep(0.05)
        between = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".999Z"
        time.sleep(1.1)
        self.execute("ALTER TABLE suppliers ADD COLUMN country TEXT;")
        second = self.sync()

        def show(fqn, *at):
            proc = run("catalog", "show", fqn, *at, "--catalog", str(self.catalog))
            return proc, (json.loads(proc.stdout) if proc.returncode == 0 else None)

        _, now = show("shop.main.suppliers")
        _, then = show("shop.main.suppliers", "--at", f"run:{first['run_id']}")
        _, at_time = show("shop.main.suppliers", "--at", "@" + between)
        self.assertEqual(second["run_id"], now[0]["valid_from_run"])
        self.assertEqual(first["run_id"], then[0]["valid_from_run"])
        self.assertEqual(second["run_id"], then[0]["valid_to_run"])
        self.assertEqual(then, at_time)
        self.assertNotEqual(now[0]["fingerprint"], then[0]["fingerprint"])
        proc, _ = show("shop.main.suppliers.country", "--at", first["run_id"])
        self.assertExit(proc, 2)
        proc, col = show("shop.main.suppliers.country", "--at", "latest")
        self.assertExit(proc, 0)
        self.assertEqual("column", col[0]["kind"])

    def test_catalog_verify_passes_after_syncs_and_fails_on_a_broken_catalog(self):
        self.sync()
        self.execute("ALTER TABLE suppliers ADD COLUMN country TEXT;")
        self.sync()
        self.assertExit(run("catalog", "verify", "--catalog", str(self.catalog)), 0)
        self.cat.execute("DROP INDEX versions_live; UPDATE versions SET valid_to_run = NULL, "
                         "valid_to_seq = NULL WHERE valid_to_run IS NOT NULL;")
        proc = run("catalog", "verify", "--catalog", str(self.catalog))
        self.assertExit(proc, 1)
        self.assertIn(b"overlap", proc.stdout)

    def test_diff_between_two_runs_lists_exactly_the_changes_graded(self):
        first = self.sync()
        before = live_state(self.cat)
        self.execute("ALTER TABLE suppliers ADD COLUMN country TEXT;"
                     "DROP INDEX orders_by_customer;"
                     "DROP TABLE staging_audit;")
        second = self.sync()
        after = live_state(self.cat)
        proc = run("diff", f"run:{first['run_id']}", f"run:{second['run_id']}", "--format", "json",
                   "--catalog", str(self.catalog))
        self.assertExit(proc, 0)
        doc = json.loads(proc.stdout)
        self.assertEqual({"from", "to", "changes"}, set(doc))
        got = {(c["kind"], c["fqn"]): (c["change"], c["grade"]) for c in doc["changes"]}
        expected_keys = (set(after) ^ set(before)) | {k for k in set(after) & set(before) if after[k] != before[k]}
        self.assertEqual(expected_keys, set(got))
        self.assertEqual(("added", "compatible"), got[("column", "shop.main.suppliers.country")])
        self.assertEqual(("removed", "info"), got[("index", "shop.main.orders.orders_by_customer")])
        self.assertEqual(("removed", "breaking"), got[("table", "shop.main.staging_audit")])
        self.assertEqual(("removed", "breaking"), got[("column", "shop.main.staging_audit.at")])
        self.assertEqual(("modified", "info"), got[("table", "shop.main.suppliers")])
        fields = [c["fields"] for c in doc["changes"] if c["fqn"] == "shop.main.suppliers"][0]
        self.assertEqual(["definition"], [f["field"] for f in fields])

        gate = run("diff", f"run:{first['run_id']}", "latest", "--fail-on", "breaking", "--catalog",
                   str(self.catalog))
        self.assertExit(gate, 5)
        same = run("diff", "latest", f"run:{second['run_id']}", "--fail-on", "info", "--catalog",
                   str(self.catalog))
        self.assertExit(same, 0)

    def test_diff_of_an_extract_file_against_the_live_source(self):
        out = self.tmp / "before.json"
        self.assertExit(run("extract", f"sqlite://{self.db}", "--output", str(out)), 0)
        self.execute("CREATE TABLE fresh (id INTEGER PRIMARY KEY, v TEXT);")
        proc = run("diff", str(out), f"sqlite://{self.db}", "--format", "json", "--fail-on", "breaking")
        self.assertExit(proc, 0)
        changes = json.loads(proc.stdout)["changes"]
        self.assertIn({"fqn": "shop.main.fresh", "kind": "table", "change": "added", "grade": "compatible",
                       "fields": []}, changes)
        self.assertEqual({"added"}, {c["change"] for c in changes})
        self.assertExit(run("diff", f"sqlite://{self.db}", str(out), "--fail-on", "breaking"), 5)

    def test_catalog_lineage_walks_live_edges_both_ways(self):
        self.execute("CREATE VIEW top_big AS SELECT id FROM big_orders WHERE total > 1000;")
        self.sync()

        def lineage(fqn, *flags):
            proc = run("catalog", "lineage", fqn, *flags, "--format", "json", "--catalog", str(self.catalog))
            self.assertExit(proc, 0)
            return [(h["fqn"], h["depth"]) for h in json.loads(proc.stdout)]

        self.assertEqual([("shop.main.big_orders", 1)], lineage("shop.main.orders", "--downstream"))
        self.assertEqual([("shop.main.big_orders", 1), ("shop.main.top_big", 2)],
                         lineage("shop.main.orders", "--downstream", "--depth", "3"))
        self.assertEqual([("shop.main.big_orders", 1), ("shop.main.orders", 2)],
                         lineage("shop.main.top_big", "--upstream", "--depth", "2"))
        self.assertExit(run("catalog", "lineage", "shop.main.orders", "--catalog", str(self.catalog)), 2)

    def test_catalog_search_finds_names(self):
        self.sync()
        proc = run("catalog", "search", "suppl", "--format", "json", "--catalog", str(self.catalog))
        self.assertExit(proc, 0)
        self.assertIn({"fqn": "shop.main.suppliers", "kind": "table"}, json.loads(proc.stdout))

    def test_filter_that_excludes_a_table_removes_nothing(self):
        self.sync()
        s = self.sync("--exclude", "main.staging_audit", "--exclude", "main.orders")
        self.assertEqual(0, s["removed"])
        self.assertIn(("table", "shop.main.staging_audit"), live_state(self.cat))
        self.assertIn(("table", "shop.main.orders"), live_state(self.cat))
        # The view's edge from the excluded table is kept and the catalog is sound.
        self.assertExit(run("catalog", "verify", "--catalog", str(self.catalog)), 0)

    def test_vanished_source_file_exits_3_and_removes_nothing(self):
        self.sync()
        before = live_state(self.cat)
        self.db.unlink()
        proc = run("sync", f"sqlite://{self.db}", "--catalog", str(self.catalog))
        self.assertExit(proc, 3)
        self.assertEqual(b"", proc.stdout)
        self.assertEqual(before, live_state(self.cat))
        history = json.loads(run("history", "--format", "json", "--catalog", str(self.catalog)).stdout)
        self.assertEqual("failed", history[0]["status"])
        self.assertTrue(history[0]["error"])

    def test_mass_delete_is_refused_unless_allowed(self):
        self.sync()
        before = live_state(self.cat)
        self.execute("DROP VIEW big_orders; DROP TABLE orders; DROP TABLE products; DROP TABLE suppliers;")
        proc = run("sync", f"sqlite://{self.db}", "--catalog", str(self.catalog))
        self.assertExit(proc, 1)
        self.assertIn(b"--allow-mass-delete", proc.stderr)
        self.assertEqual(before, live_state(self.cat))
        s = self.sync("--allow-mass-delete")
        self.assertGreater(s["removed"], 0)

    def test_history_lists_runs_newest_first_with_the_documented_fields(self):
        self.sync()
        self.sync()
        runs = json.loads(run("history", "shop", "--format", "json", "--catalog", str(self.catalog)).stdout)
        self.assertEqual(["2", "1"], [r["id"] for r in runs])
        self.assertEqual({"id", "source", "job", "trigger", "status", "scheduled_for", "started_at",
                          "finished_at", "added", "changed", "removed", "unchanged", "error"}, set(runs[0]))
        limited = json.loads(run("history", "--limit", "1", "--format", "json", "--catalog",
                                 str(self.catalog)).stdout)
        self.assertEqual(["2"], [r["id"] for r in limited])
        text = run("history", "--catalog", str(self.catalog)).stdout.decode()
        self.assertIn("STATUS", text.splitlines()[0])

    def test_catalog_flag_overrides_the_config(self):
        config = self.tmp / "connctl.toml"
        other = self.tmp / "from-config.db"
        config.write_text(f'[catalog]\nurl = "sqlite://{other}"\n')
        proc = run("sync", f"sqlite://{self.db}", "--config", str(config))
        self.assertExit(proc, 0)
        self.assertTrue(other.exists())
        self.assertFalse(self.cat.exists())
        self.sync("--config", str(config))
        self.assertTrue(self.cat.exists())

    def test_two_syncs_at_once_on_one_catalog_both_complete(self):
        other = self.tmp / "other.db"
        self.execute(BASE_SCHEMA, db=other)
        procs = [subprocess.Popen([BINARY, "sync", f"sqlite://{db}", "--format", "json", "--catalog",
                                   str(self.catalog)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for db in (self.db, other)]
        outs = [p.communicate(timeout=300) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(0, p.returncode, err.decode())
        sources = {json.loads(out)["source"] for out, _ in outs}
        self.assertEqual({"shop", "other"}, sources)
        self.assertEqual(2, scalar(self.cat, "SELECT count(DISTINCT source) FROM entities"))
        self.assertEqual(0, scalar(self.cat, "SELECT count(*) FROM runs WHERE status <> 'succeeded'"))


class PostgresCatalogSyncTest(SyncTest):
    def make_catalog(self):
        return PgCatalog(pg_server())

    def test_password_of_the_catalog_url_is_never_printed(self):
        # A role with a password: the URL carries it, no output may.
        secret = "Cat-Pw-5c1e!q"
        pg_server().psql("postgres", f"DROP ROLE IF EXISTS cat_owner; CREATE ROLE cat_owner LOGIN "
                                     f"PASSWORD '{secret}'; ALTER DATABASE {self.cat.database} OWNER TO cat_owner")
        url = (f"postgresql://cat_owner:{secret.replace('!', '%21')}@127.0.0.1:{pg_server().port}/"
               f"{self.cat.database}?sslmode=disable")
        for args in (("sync", f"sqlite://{self.db}"), ("catalog", "verify"), ("history",)):
            proc = run(*args, "--catalog", url)
            self.assertExit(proc, 0)
            self.assertNotIn(secret.encode(), proc.stdout + proc.stderr)
        verify = run("catalog", "verify", "--catalog", url)
        self.assertIn(f"postgresql://cat_owner@127.0.0.1:{pg_server().port}/".encode(), verify.stdout)
        wrong = run("history", "--catalog", url.replace("5c1e", "0000"))
        self.assertExit(wrong, 3)
        self.assertNotIn(b"0000", wrong.stdout + wrong.stderr)


class SyncCrashTest(CliTestCase):
    """SIGKILL during a sync of a generated database: the catalog holds the
    state before that sync or after it, never between."""

    TABLES = 400
    # tests/CMakeLists.txt sets 50 in the release build, 6 under the sanitizers.
    KILLS = int(os.environ.get("CONNCTL_SYNC_KILLS", "6"))

    @classmethod
    def setUpClass(cls):
        cls._gen = tempfile.TemporaryDirectory(prefix="connctl-sync-crash-", dir="/dev/shm")
        cls.template = Path(cls._gen.name) / "gen.db"
        subprocess.run(["/usr/bin/python3", str(SOURCE_DIR / "tests" / "tools" / "gen_sqlite_db.py"),
                        str(cls.template), "--tables", str(cls.TABLES)], check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        cls._gen.cleanup()

    def copy_catalog(self, src, dst):
        s = sqlite3.connect(src)
        d = sqlite3.connect(dst)
        s.backup(d)
        s.close()
        d.close()

    def test_sigkill_at_random_moments_leaves_state_before_or_after(self):
        db = self.tmp / "gen.db"
        shutil.copy(self.template, db)
        catalog = self.tmp / "catalog.db"
        url = f"sqlite://{db}"
        self.assertExit(run("sync", url, "--catalog", str(catalog)), 0)
        rng = random.Random(4)
        outcomes = set()
        for i in range(self.KILLS):
            conn = sqlite3.connect(db)
            conn.executescript("".join(f"ALTER TABLE t{j:04d} ADD COLUMN crash_{i} TEXT;"
                                       for j in range(i * 7, i * 7 + 5)))
            conn.close()
            before = live_state(SqliteCatalog(catalog))
            shadow = self.tmp / f"shadow{i}.db"
            self.copy_catalog(catalog, shadow)
            self.assertExit(run("sync", url, "--catalog", str(shadow)), 0)
            after = live_state(SqliteCatalog(shadow))
            self.assertNotEqual(before, after)

            proc = subprocess.Popen([BINARY, "sync", url, "--catalog", str(catalog)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, 1.5))
            proc.kill()
            proc.wait()
            state = live_state(SqliteCatalog(catalog))
            self.assertIn(state, (before, after), f"kill {i}: catalog is between before and after")
            outcomes.add("after" if state == after else "before")
            verify = run("catalog", "verify", "--catalog", str(catalog))
            self.assertExit(verify, 0)
            self.assertEqual(0, scalar(SqliteCatalog(catalog), "SELECT count(*) FROM runs WHERE status = 'running'"))
            if state == before:
                # Bring the catalog to `after` so the next round starts from a known state.
                self.assertExit(run("sync", url, "--catalog", str(catalog)), 0)
                self.assertEqual(after, live_state(SqliteCatalog(catalog)))
        if os.environ.get("CONNCTL_SYNC_KILLS"):
            print(f"kills: {self.KILLS}, outcomes: {sorted(outcomes)}")
        runs = json.loads(run("history", "--limit", "1000", "--format", "json", "--catalog", str(catalog)).stdout)
        if "before" in outcomes:
            self.assertIn("interrupted", {r["status"] for r in runs})


if __name__ == "__main__":
    unittest.main()

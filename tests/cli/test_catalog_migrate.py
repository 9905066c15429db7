"""connctl catalog migrate: a SQLite catalog with history (changes, a removal,
a failed run, lineage opened and closed) copied into PostgreSQL and back into
SQLite; every run, version and edge must come through, as history, catalog
show --at and the table counts see them."""

import json
import sqlite3
import unittest

from catalogs import PgCatalog, SqliteCatalog, scalar
from pg_server import PgServer
from support import CliTestCase, run

SERVER = None

SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), total REAL);
CREATE TABLE suppliers (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE staging_audit (id INTEGER PRIMARY KEY, at TEXT);
CREATE INDEX orders_by_customer ON orders(customer_id);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
CREATE VIEW big_customers AS SELECT c.id, c.name FROM customers c JOIN orders o ON o.customer_id = c.id;
"""

FQNS = ["shop.main.customers", "shop.main.suppliers", "shop.main.suppliers.country",
        "shop.main.staging_audit", "shop.main.big_orders", "shop.main.orders.orders_by_customer"]


def setUpModule():
    global SERVER
    SERVER = PgServer()


def tearDownModule():
    SERVER.stop()


class CatalogMigrateTest(CliTestCase):
    def setUp(self):
        super().setUp()
        self.db = self.tmp / "shop.db"
        self.source_sql(SCHEMA)

    def source_sql(self, sql):
        conn = sqlite3.connect(self.db)
        conn.executescript(sql)
        conn.close()

    def sync(self, catalog, *extra, code=0):
        proc = run("sync", f"sqlite://{self.db}", "--format", "json", "--catalog", catalog.url, *extra)
        self.assertExit(proc, code)
        return json.loads(proc.stdout) if proc.stdout.strip() else None

    def build_history(self, catalog):
        """Five runs: first sync, a change, a failed run, a drop (closing an edge), no change."""
        self.sync(catalog)
        self.source_sql("ALTER TABLE suppliers ADD COLUMN country TEXT; CREATE TABLE shipments (id INTEGER);")
        self.sync(catalog)
        moved = self.tmp / "moved.db"
        self.db.rename(moved)
        self.sync(catalog, code=3)
        moved.rename(self.db)
        self.source_sql("DROP VIEW big_orders; DROP INDEX orders_by_customer; DROP TABLE staging_audit;")
        self.sync(catalog, "--allow-mass-delete")
        self.sync(catalog)

    def migrate(self, source, target, code=0):
        proc = run("catalog", "migrate", "--to", target.url, "--format", "json", "--catalog", source.url)
        self.assertExit(proc, code)
        return proc

    def observed(self, catalog):
        """What the commands see: history, stats, every entity at every committed run."""
        def out(*args):
            proc = run(*args, "--catalog", catalog.url)
            return proc.returncode, proc.stdout.decode()

        seen = {"history": out("history", "--format", "json", "--limit", "100"),
                "stats": out("catalog", "stats", "--format", "json"),
                "search": out("catalog", "search", "customers", "--format", "json"),
                "lineage": out("catalog", "lineage", "shop.main.orders", "--downstream", "--format", "json")}
        # Ranking differs between the stores (FTS5 bm25, ts_rank): compare the set found.
        code, found = seen["search"]
        seen["search"] = (code, sorted(json.dumps(x, sort_keys=True) for x in json.loads(found)))
        runs = json.loads(seen["history"][1])
        for r in runs:
            seen[f"diff {r['id']}"] = out("diff", "run:1", f"run:{r['id']}", "--format", "json")
            for fqn in FQNS:
                seen[f"{fqn} at {r['id']}"] = out("catalog", "show", fqn, "--at", f"run:{r['id']}")
        return seen

    def test_sqlite_to_postgres_to_sqlite_round_trips_everything(self):
        first = SqliteCatalog(self.tmp / "first.db")
        self.build_history(first)
        middle = PgCatalog(SERVER)
        last = SqliteCatalog(self.tmp / "last.db")

        summary = json.loads(self.migrate(first, middle).stdout)
        self.assertTrue(summary["verified"], summary)
        self.assertEqual([], summary["problems"])
        self.assertEqual(5, summary["tables"]["runs"])
        self.assertNotIn(":@", summary["to"])
        self.assertTrue(json.loads(self.migrate(middle, last).stdout)["verified"])

        want = self.observed(first)
        self.assertEqual(["5", "4", "3", "2", "1"], [r["id"] for r in json.loads(want["history"][1])])
        self.assertIn("failed", want["history"][1])
        self.assertEqual(0, want["shop.main.big_orders at 1"][0])  # the view existed then
        self.assertEqual(2, want["shop.main.big_orders at 4"][0])  # and was gone later
        self.assertEqual(want, self.observed(middle))
        self.assertEqual(want, self.observed(last))

        # Raw rows too: every version and edge with its validity.
        for table, order in (("versions", "entity, valid_from_seq"),
                             ("lineage", "valid_from_seq, from_fqn, to_fqn"),
                             ("observations", "run, entity")):
            rows = first.query(f"SELECT * FROM {table} ORDER BY {order}")
            self.assertEqual(rows, last.query(f"SELECT * FROM {table} ORDER BY {order}"), table)
            self.assertEqual(len(rows), scalar(middle, f"SELECT count(*) FROM {table}"), table)
        self.assertEqual(1, scalar(first, "SELECT count(*) FROM lineage WHERE valid_to_run IS NOT NULL"))

        # The copies live on: the next sync gets the next run id in both.
        self.source_sql("CREATE TABLE fresh (id INTEGER);")
        self.assertEqual("6", self.sync(middle)["run_id"])
        self.assertEqual("6", self.sync(last)["run_id"])
        self.assertExit(run("catalog", "verify", "--catalog", middle.url), 0)

    def test_a_non_empty_target_is_refused_with_exit_2(self):
        first = SqliteCatalog(self.tmp / "first.db")
        self.sync(first)
        target = PgCatalog(SERVER)
        self.migrate(first, target)
        proc = self.migrate(first, target, code=2)
        self.assertIn(b"not empty", proc.stderr)
        other = SqliteCatalog(self.tmp / "other.db")
        self.sync(other)
        proc = self.migrate(target, other, code=2)
        self.assertIn(b"not empty", proc.stderr)
        self.assertEqual(1, scalar(other, "SELECT count(*) FROM runs"))

    def test_text_summary_names_each_table(self):
        first = SqliteCatalog(self.tmp / "first.db")
        self.sync(first)
        proc = run("catalog", "migrate", "--to", PgCatalog(SERVER).url, "--catalog", first.url)
        self.assertExit(proc, 0)
        for table in ("runs", "entities", "versions", "lineage", "observations"):
            self.assertIn(table, proc.stdout.decode())


if __name__ == "__main__":
    unittest.main()

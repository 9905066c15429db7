"""Incremental sync driven by the shared generator's change scripts
(tests/tools/gen_schema.py --mutate, the same generator the benchmarks use),
on SQLite and on the throwaway PostgreSQL server, each recorded in a SQLite
catalog and in a PostgreSQL catalog.

Each round applies a generated change script, then checks three things
against oracles that do not go through the catalog:
- the tables and columns the database itself reports (sqlite3 pragmas, or
  pg_catalog through psql) before and after: the run adds and removes exactly
  those tables and columns;
- two `connctl extract` documents, before and after: the run's counts, its
  version rows and `connctl diff run:A run:B` name exactly the entities whose
  fingerprint changed, and nothing outside the tables the script touched
  (and the views and referencing tables that follow them);
- grades: a dropped table or column is breaking, an added nullable column is
  compatible, a comment alone is info, a widened type is compatible.
Then `diff run:N FILE` between each run and the extract taken at that moment
is empty (time travel returns each state as that run saw it), and a re-sync
without changes records nothing."""

import filecmp
import json
import re
import sqlite3
import subprocess
import sys
import unittest
from pathlib import Path

from support import SOURCE_DIR, CliTestCase, run

GENERATOR = SOURCE_DIR / "tests" / "tools" / "gen_schema.py"
SHARED_GENERATOR = SOURCE_DIR.parent / "shared" / "bench" / "gen_schema.py"
ROUNDS = 2
CHANGES_PER_ROUND = 15


def generate(dialect, *extra):
    args = [sys.executable, str(GENERATOR), "--dialect", dialect, "--tables", "60", "--views", "6",
            "--seed", "7", *extra]
    if dialect == "postgres":
        args += ["--schemas", "3", "--partitioned", "2"]
    return subprocess.run(args, capture_output=True, check=True, text=True).stdout


def touched_names(script):
    """Every bare identifier of the script; a table's name among them means the script touched it."""
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", script))


class GeneratedChangesMixin:
    """The rounds, the same for every dialect. A subclass provides apply(sql),
    source_url, columns() -> {path: type-text} and tables() -> {path}, where a
    path is the FQN without the source (and database) components."""

    dialect = None
    prefix_components = None  # FQN components before the schema level

    def path_of(self, fqn):
        return ".".join(fqn.split(".")[self.prefix_components:])

    def extract(self, name):
        out = self.tmp / f"{name}.json"
        proc = run("extract", self.source_url, "--output", str(out))
        self.assertExit(proc, 0)
        return out, json.loads(out.read_text())

    def sync(self):
        proc = run("sync", self.source_url, "--format", "json", "--catalog", self.catalog_url)
        self.assertExit(proc, 0)
        return json.loads(proc.stdout)

    def diff(self, a, b):
        proc = run("diff", a, b, "--format", "json", "--catalog", self.catalog_url)
        self.assertExit(proc, 0)
        return json.loads(proc.stdout)["changes"]

    def check_round(self, script, before_doc, after_doc, before_db, after_db, summary, changes):
        fingerprints = [{(e["kind"], e["fqn"]): e["fingerprint"] for e in d["entities"]}
                        for d in (before_doc, after_doc)]
        old, new = fingerprints
        added = {k for k in new if k not in old}
        removed = {k for k in old if k not in new}
        modified = {k for k in new if k in old and new[k] != old[k]}
        self.assertGreater(len(added) + len(removed) + len(modified), 0, "the script changed nothing")

        # The database's own view of tables and columns.
        # (Partitions are tables under their parent's FQN: one component more.)
        for kind, getter, depth in (("table", "tables", 2), ("column", "columns", 3)):
            before_set, after_set = set(before_db[getter]), set(after_db[getter])

            def paths(entities):
                return {p for p in (self.path_of(f) for k, f in entities if k == kind) if p.count(".") == depth - 1}

            self.assertEqual(after_set - before_set, paths(added), f"{kind}s added")
            self.assertEqual(before_set - after_set, paths(removed), f"{kind}s removed")
        retyped = {p for p in set(before_db["columns"]) & set(after_db["columns"])
                   if before_db["columns"][p] != after_db["columns"][p]}
        self.assertTrue(retyped <= {self.path_of(f) for k, f in modified if k == "column"},
                        f"columns whose type changed but were not recorded: {retyped}")

        # The run's counts and the diff between the two runs.
        self.assertEqual((len(added), len(modified), len(removed)),
                         (summary["added"], summary["changed"], summary["removed"]))
        by_change = {"added": added, "removed": removed, "modified": modified}
        for change, expected in by_change.items():
            self.assertEqual(expected, {(c["kind"], c["fqn"]) for c in changes if c["change"] == change},
                             f"diff: {change}")

        # Nothing outside what the script touched, the views and the tables that refer to it.
        names = touched_names(script)
        views = {self.path_of(e["fqn"]).split(".")[1] for e in before_doc["entities"] + after_doc["entities"]
                 if e["kind"] in ("view", "materialized_view")}
        for kind, fqn in added | removed | modified:
            path = self.path_of(fqn).split(".")
            if len(path) < 2:
                continue  # the database or a schema
            table = path[1]
            owner = self.owner_table(before_doc, after_doc, kind, fqn)
            self.assertTrue(table in names or table in views or owner in names
                            or self.refers_to_touched(before_doc, fqn, names),
                            f"{kind} {fqn} changed although the script did not touch it")

        # Grades.
        for c in changes:
            entity = next((e for e in after_doc["entities"] if e["fqn"] == c["fqn"] and e["kind"] == c["kind"]),
                          None)
            if c["change"] == "removed" and c["kind"] in ("table", "column"):
                self.assertEqual("breaking", c["grade"], c)
                self.graded.add("dropped")
            elif c["change"] == "added" and c["kind"] == "column" and entity and entity.get("nullable"):
                self.assertEqual("compatible", c["grade"], c)
                self.graded.add("added nullable column")
            elif c["change"] == "modified" and c["kind"] == "column":
                fields = {f["field"] for f in c["fields"]}
                if fields == {"comment"}:
                    self.assertEqual("info", c["grade"], c)
                    self.graded.add("comment")
                if fields == {"data_type"} and self.widened(c):
                    self.assertEqual("compatible", c["grade"], c)
                    self.graded.add("widened type")

    def owner_table(self, before_doc, after_doc, kind, fqn):
        """The table name of the column that owns a sequence (None for other kinds)."""
        for e in before_doc["entities"] + after_doc["entities"]:
            if e["kind"] == kind == "sequence" and e["fqn"] == fqn and e.get("owned_by"):
                return self.path_of(e["owned_by"]).split(".")[1]
        return None

    def refers_to_touched(self, doc, fqn, names):
        """Whether the table holding `fqn` has a foreign key into a touched table."""
        table_fqn = ".".join(fqn.split(".")[:self.prefix_components + 2])
        for e in doc["entities"]:
            if e["kind"] == "constraint" and e.get("parent") == table_fqn and e.get("referenced_table"):
                if self.path_of(e["referenced_table"]).split(".")[-1] in names:
                    return True
        return False

    @staticmethod
    def widened(change):
        field = next(f for f in change["fields"] if f["field"] == "data_type")
        before, after = str(field["before"]), str(field["after"])
        return (before, after) in (("integer", "bigint"), ("smallint", "integer")) or (
            re.sub(r"\(.*", "", before) == re.sub(r"\(.*", "", after) and before != after
            and not after.startswith("numeric"))

    def test_generated_change_scripts_are_recorded_exactly(self):
        self.graded = set()
        self.apply(generate(self.dialect))
        docs = [self.extract("state0")]
        dbs = [{"tables": self.tables(), "columns": self.columns()}]
        summaries = [self.sync()]
        self.assertEqual(len(docs[0][1]["entities"]), summaries[0]["added"])
        for r in range(1, ROUNDS + 1):
            script = generate(self.dialect, "--mutate", str(CHANGES_PER_ROUND), "--round", str(r))
            self.apply(script)
            docs.append(self.extract(f"state{r}"))
            dbs.append({"tables": self.tables(), "columns": self.columns()})
            summaries.append(self.sync())
            changes = self.diff(f"run:{summaries[r - 1]['run_id']}", f"run:{summaries[r]['run_id']}")
            with self.subTest(round=r):
                self.check_round(script, docs[r - 1][1], docs[r][1], dbs[r - 1], dbs[r], summaries[r], changes)

        # Every run's state, read back from the catalog, is what was extracted at that moment.
        for (path, _), summary in zip(docs, summaries):
            self.assertEqual([], self.diff(f"run:{summary['run_id']}", str(path)), f"run {summary['run_id']}")

        # A table dropped by a later round is still shown as the first run saw it.
        dropped = [(k, f) for k, f in {(e["kind"], e["fqn"]) for e in docs[0][1]["entities"]}
                   - {(e["kind"], e["fqn"]) for e in docs[-1][1]["entities"]} if k == "table"]
        for kind, fqn in dropped[:3]:
            proc = run("catalog", "show", fqn, "--at", f"run:{summaries[0]['run_id']}", "--catalog",
                       self.catalog_url)
            self.assertExit(proc, 0)
            shown = json.loads(proc.stdout)
            original = next(e for e in docs[0][1]["entities"] if e["fqn"] == fqn and e["kind"] == kind)
            self.assertEqual(original["fingerprint"], shown[0]["fingerprint"])

        again = self.sync()
        self.assertEqual((0, 0, 0), (again["added"], again["changed"], again["removed"]))
        self.assertEqual(self.expected_grades, self.graded, "grading cases the scripts exercised")


class SqliteGeneratedChangesTest(GeneratedChangesMixin, CliTestCase):
    dialect = "sqlite"
    prefix_components = 1  # source.main.table.column: main is the schema level
    expected_grades = {"dropped", "added nullable column"}  # SQLite has no comments nor type changes

    def setUp(self):
        super().setUp()
        self.db = self.tmp / "gen.db"
        self.source_url = f"sqlite://{self.db}"
        self.catalog_url = f"sqlite://{self.tmp / 'catalog.db'}"

    def apply(self, sql):
        conn = sqlite3.connect(self.db)
        try:
            conn.executescript(sql)
        finally:
            conn.close()

    def tables(self):
        conn = sqlite3.connect(self.db)
        try:
            return {f"main.{n}" for (n,) in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        finally:
            conn.close()

    def columns(self):
        conn = sqlite3.connect(self.db)
        try:
            return {f"main.{t}.{c}": ty for t, c, ty in conn.execute(
                "SELECT s.name, p.name, p.type FROM sqlite_schema s, pragma_table_info(s.name) p "
                "WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite_%'")}
        finally:
            conn.close()


class GeneratorCopyTest(unittest.TestCase):
    def test_the_generator_copy_matches_the_shared_one(self):
        if not SHARED_GENERATOR.exists():
            self.skipTest(f"{SHARED_GENERATOR} is not on this machine; the copy is used as it is")
        self.assertTrue(filecmp.cmp(GENERATOR, SHARED_GENERATOR, shallow=False) or
                        GENERATOR.read_text().split("\n", 4)[4] == SHARED_GENERATOR.read_text().split("\n", 1)[1],
                        "tests/tools/gen_schema.py differs from ../shared/bench/gen_schema.py")


class PgServerMixin:
    """A throwaway PostgreSQL server for the class."""
    server = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from pg_server import PgServer
        cls.server = PgServer()

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.stop()
        super().tearDownClass()


class PostgresCatalogMixin(PgServerMixin):
    """Records the rounds in a PostgreSQL catalog on the class's server."""

    def setUp(self):
        super().setUp()
        from catalogs import PgCatalog
        self.catalog_url = PgCatalog(self.server).url


class PostgresGeneratedChangesTest(PgServerMixin, GeneratedChangesMixin, CliTestCase):
    dialect = "postgres"
    prefix_components = 2  # source.database.schema.table.column
    expected_grades = {"dropped", "added nullable column", "comment", "widened type"}

    def setUp(self):
        super().setUp()
        self.database = f"gen_{self._testMethodName[-20:].lower()}"
        self.server.psql("postgres", f"DROP DATABASE IF EXISTS {self.database}")
        self.server.psql("postgres", f"CREATE DATABASE {self.database}")
        self.source_url = (f"postgresql://postgres@127.0.0.1:{self.server.port}/{self.database}"
                           "?sslmode=disable")
        self.catalog_url = f"sqlite://{self.tmp / 'catalog.db'}"

    def apply(self, sql):
        script = self.tmp / "apply.sql"
        script.write_text(sql)
        self.server.psql(self.database, file=script)

    def query(self, sql):
        return [line.split("|") for line in self.server.psql(self.database, sql).splitlines() if line]

    def tables(self):
        return {f"{s}.{t}" for s, t in self.query(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'f') AND NOT c.relispartition "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'")}

    def columns(self):
        return {f"{s}.{t}.{c}": ty for s, t, c, ty in self.query(
            "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'f') AND NOT c.relispartition AND a.attnum > 0 "
            "AND NOT a.attisdropped AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%'")}


class PostgresGeneratedChangesIntoAPostgresCatalogTest(PostgresCatalogMixin,
                                                       PostgresGeneratedChangesTest):
    """The same rounds recorded in a PostgreSQL catalog (on the same server)."""


class SqliteGeneratedChangesIntoAPostgresCatalogTest(PostgresCatalogMixin, SqliteGeneratedChangesTest):
    """SQLite's rounds recorded in a PostgreSQL catalog."""


if __name__ == "__main__":
    unittest.main()

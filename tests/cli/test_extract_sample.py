"""connctl extract on the bundled sample database: schema-valid JSON and
NDJSON, deterministic bytes, counts equal to SQLite's own, filters, --output."""

import hashlib
import json
import os
import sqlite3
import unittest

from support import (RECORD_VALIDATOR, CliTestCase, build_sample, extracted_counts, normalise_extracted_at, run,
                     sqlite_counts)


class ExtractSampleTest(CliTestCase):
    def setUp(self):
        super().setUp()
        self.db = build_sample(self.tmp)
        self.url = f"sqlite://{self.db}"

    def extract(self, *extra):
        proc = run("extract", self.url, *extra)
        self.assertExit(proc, 0)
        return proc

    def test_output_validates_against_the_published_schema(self):
        doc = self.assertValidDocument(self.extract().stdout)
        self.assertEqual("sample", doc["source"])
        self.assertEqual("sqlite", doc["extractor"])
        self.assertEqual("complete", doc["completeness"]["status"])

    def test_counts_equal_what_sqlite_reports(self):
        doc = json.loads(self.extract().stdout)
        expected = sqlite_counts(self.db)
        got = extracted_counts(doc)
        for kind, count in expected.items():
            self.assertEqual(count, got.get(kind, 0), kind)
        self.assertEqual(1, got["database"])

    def test_every_object_kind_of_the_sample_is_present(self):
        doc = json.loads(self.extract().stdout)
        kinds = {e["kind"] for e in doc["entities"]}
        self.assertLessEqual({"database", "table", "view", "column", "constraint", "index", "trigger"}, kinds)
        tables = {e["name"]: e for e in doc["entities"] if e["kind"] == "table"}
        self.assertTrue(any(t.get("without_rowid") for t in tables.values()), "a WITHOUT ROWID table")
        self.assertTrue(any(t.get("strict") for t in tables.values()), "a STRICT table")
        self.assertTrue(any(t["table_type"] == "virtual" for t in tables.values()), "a virtual table")
        hostile = [n for n in tables if "." in n and '"' in n and " " in n]
        self.assertEqual(1, len(hostile), "the table whose name has a dot, a quote and a space")
        columns = [e for e in doc["entities"] if e["kind"] == "column"]
        self.assertTrue(any(c.get("generated") == "virtual" for c in columns))
        self.assertTrue(any(c.get("generated") == "stored" for c in columns))
        indexes = [e for e in doc["entities"] if e["kind"] == "index"]
        self.assertTrue(any(i.get("partial") for i in indexes), "a partial index")
        self.assertTrue(any("expression" in c for i in indexes for c in i["columns"]), "an expression index")
        self.assertTrue(any(i["unique"] for i in indexes), "a unique index")
        fks = [e for e in doc["entities"] if e["kind"] == "constraint" and e["constraint_type"] == "foreign_key"]
        self.assertTrue(any(fk.get("deferrable") for fk in fks), "a deferrable foreign key")
        self.assertTrue(any(fk.get("on_delete") == "CASCADE" for fk in fks))

    def test_view_lineage_reaches_columns_through_views_on_views(self):
        doc = json.loads(self.extract().stdout)
        views = {e["fqn"] for e in doc["entities"] if e["kind"] == "view"}
        into_views = [edge for edge in doc["lineage"] if edge["to"] in views]
        self.assertTrue(into_views)
        view_to_view = [edge for edge in into_views if edge["from"] in views]
        self.assertTrue(view_to_view, "a view reading another view")
        self.assertTrue(any(edge.get("columns") for edge in view_to_view), "column pairs on a view-on-view edge")
        no_lineage = json.loads(self.extract("--no-lineage").stdout)
        self.assertEqual([], no_lineage["lineage"])

    def test_two_runs_give_identical_bytes_apart_from_extracted_at(self):
        for fmt in ("json", "ndjson"):
            first = self.extract("--format", fmt).stdout
            second = self.extract("--format", fmt).stdout
            self.assertEqual(normalise_extracted_at(first), normalise_extracted_at(second), fmt)

    def test_ndjson_has_the_same_records_as_json(self):
        doc = json.loads(self.extract().stdout)
        lines = self.extract("--format", "ndjson").stdout.decode().splitlines()
        records = [json.loads(line) for line in lines]
        for record in records:
            errors = list(RECORD_VALIDATOR.iter_errors(record))
            self.assertEqual([], [e.message for e in errors[:5]], record)
        self.assertEqual("header", records[0]["record"])
        self.assertEqual("end", records[-1]["record"])
        entities = [{k: v for k, v in r.items() if k != "record"} for r in records if r["record"] == "entity"]
        self.assertEqual(doc["entities"], entities)
        edges = [{k: v for k, v in r.items() if k != "record"} for r in records if r["record"] == "lineage"]
        self.assertEqual(doc["lineage"], edges)
        self.assertEqual(len(entities), records[-1]["entity_count"])

    def test_output_file_is_written_whole(self):
        target = self.tmp / "out.json"
        proc = self.extract("--output", str(target))
        self.assertEqual(b"", proc.stdout)
        self.assertValidDocument(target.read_bytes())
        self.assertEqual(["out.json", "sample.db"], sorted(os.listdir(self.tmp)))

    def test_include_and_exclude_patterns_select_tables(self):
        doc = json.loads(self.extract().stdout)
        tables = sorted(e["name"] for e in doc["entities"] if e["kind"] == "table")
        first = tables[0]
        only = json.loads(self.extract("--include", f"main.{first}").stdout)
        self.assertEqual([first], [e["name"] for e in only["entities"] if e["kind"] in ("table", "view")])
        without = json.loads(self.extract("--exclude", f"*.{first}").stdout)
        names = {e["name"] for e in without["entities"] if e["kind"] in ("table", "view")}
        self.assertNotIn(first, names)
        self.assertEqual(len(tables) - 1, len([e for e in without["entities"] if e["kind"] == "table"]))
        # Excluded objects' children go with them.
        self.assertFalse([e for e in without["entities"] if e.get("parent", "").endswith(f".{first}")])

    def test_stats_adds_row_counts_as_observations_only(self):
        plain = json.loads(self.extract().stdout)
        stats = json.loads(self.extract("--stats").stdout)
        counted = [e for e in stats["entities"] if e["kind"] == "table" and "row_count" in e.get("observations", {})]
        self.assertTrue(counted)
        conn = sqlite3.connect(self.db)
        for table in counted:
            name = table["name"].replace('"', '""')
            self.assertEqual(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0],
                             table["observations"]["row_count"])
        # Observations never change the fingerprint.
        self.assertEqual({e["fqn"]: e["fingerprint"] for e in plain["entities"]},
                         {e["fqn"]: e["fingerprint"] for e in stats["entities"]})

    def test_extract_does_not_modify_the_database(self):
        before = hashlib.sha256(self.db.read_bytes()).hexdigest()
        mtime = self.db.stat().st_mtime_ns
        self.extract("--stats")
        self.assertEqual(before, hashlib.sha256(self.db.read_bytes()).hexdigest())
        self.assertEqual(mtime, self.db.stat().st_mtime_ns)

    def test_config_source_by_name(self):
        config = self.tmp / "connctl.toml"
        config.write_text(f'[[source]]\nname = "shop"\ntype = "sqlite"\npath = "{self.db}"\n')
        proc = run("--config", str(config), "extract", "shop")
        self.assertExit(proc, 0)
        doc = self.assertValidDocument(proc.stdout)
        self.assertEqual("shop", doc["source"])
        self.assertTrue(all(e["fqn"].startswith("shop.") for e in doc["entities"]))
        # ./connctl.toml is found without --config.
        self.assertExit(run("extract", "shop", cwd=self.tmp), 0)

    def test_relative_paths_in_a_config_are_relative_to_its_directory(self):
        config = self.tmp / "connctl.toml"
        config.write_text('[[source]]\nname = "shop"\ntype = "sqlite"\npath = "sample.db"\n')
        proc = run("--config", str(config), "extract", "shop", cwd="/")
        self.assertExit(proc, 0)
        doc = json.loads(proc.stdout)
        self.assertEqual(str(self.db), doc["entities"][0]["file"])


if __name__ == "__main__":
    unittest.main()

"""connctl extract on a generated 2,000-table SQLite database: every kind's
count equals what SQLite reports, the output validates against the published
schema, and two runs give identical bytes apart from extracted_at."""

import json
import subprocess
import unittest

from support import (SOURCE_DIR, CliTestCase, extracted_counts, normalise_extracted_at, run, sqlite_counts)

TABLES = 2000


class ExtractGeneratedTest(CliTestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        from pathlib import Path
        cls._dir = tempfile.TemporaryDirectory(prefix="connctl-gen-")
        cls.db = Path(cls._dir.name) / "generated.db"
        subprocess.run(["/usr/bin/python3", str(SOURCE_DIR / "tests" / "tools" / "gen_sqlite_db.py"), str(cls.db),
                        "--tables", str(TABLES)], check=True, capture_output=True)
        cls.first = run("extract", f"sqlite://{cls.db}")
        cls.second = run("extract", f"sqlite://{cls.db}")

    @classmethod
    def tearDownClass(cls):
        cls._dir.cleanup()

    def test_extract_succeeds_and_validates(self):
        self.assertExit(self.first, 0)
        doc = self.assertValidDocument(self.first.stdout)
        self.assertEqual("complete", doc["completeness"]["status"])
        self.assertEqual([], doc["warnings"])

    def test_counts_equal_what_sqlite_reports(self):
        doc = json.loads(self.first.stdout)
        expected = sqlite_counts(self.db)
        self.assertGreaterEqual(expected["table"], TABLES)
        got = extracted_counts(doc)
        self.assertEqual(expected, {kind: got.get(kind, 0) for kind in expected})

    def test_two_runs_give_identical_bytes(self):
        self.assertExit(self.second, 0)
        self.assertEqual(normalise_extracted_at(self.first.stdout), normalise_extracted_at(self.second.stdout))


if __name__ == "__main__":
    unittest.main()

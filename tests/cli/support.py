"""Shared helpers of the end-to-end CLI tests: run the real connctl binary,
build SQLite databases with Python's sqlite3, validate output against
schema/metadata.schema.json, and count objects the way SQLite reports them."""

import json
import os
import re
import sqlite3
import subprocess
import tempfile
import unittest
from pathlib import Path

import jsonschema

SOURCE_DIR = Path(os.environ.get("CONNCTL_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BINARY = os.environ.get("CONNCTL_BINARY", str(SOURCE_DIR / "build" / "release" / "connctl"))

_SCHEMA = json.loads((SOURCE_DIR / "schema" / "metadata.schema.json").read_text())
DOCUMENT_VALIDATOR = jsonschema.Draft202012Validator(_SCHEMA)
RECORD_VALIDATOR = jsonschema.Draft202012Validator(
    {"$schema": _SCHEMA["$schema"], "$defs": _SCHEMA["$defs"], "$ref": "#/$defs/ndjson_record"})


def run(*args, env=None, cwd=None, stdin=None, timeout=600):
    """Runs connctl with a clean environment; returns CompletedProcess (bytes)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONNCTL_CONFIG")}
    full_env.setdefault("HOME", tempfile.gettempdir())
    # Keep the developer's own configs out of the tests.
    full_env["XDG_CONFIG_HOME"] = str(Path(tempfile.gettempdir()) / "connctl-tests-no-xdg")
    if env:
        full_env.update(env)
    return subprocess.run([BINARY, *args], capture_output=True, env=full_env, cwd=cwd or tempfile.gettempdir(),
                          input=stdin, timeout=timeout)


def build_sample(directory):
    """examples/sample.sql loaded into directory/sample.db; returns the path."""
    db = Path(directory) / "sample.db"
    conn = sqlite3.connect(db)
    conn.executescript((SOURCE_DIR / "examples" / "sample.sql").read_text())
    conn.close()
    return db


def stderr_lines(proc):
    return [line for line in proc.stderr.decode("utf-8", "replace").splitlines() if line.strip()]


def normalise_extracted_at(raw):
    """The output bytes with the one volatile field blanked."""
    return re.sub(rb'"extracted_at":"[^"]*"', b'"extracted_at":""', raw, count=1)


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def sqlite_counts(db_path, schema="main"):
    """Counts of every kind, as SQLite itself reports them through sqlite_schema
    and the table_list / table_xinfo / foreign_key_list / index_list pragmas."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    q = quote(schema)
    shadow = {row[1] for row in conn.execute(f"PRAGMA {q}.table_list") if row[2] == "shadow"}
    rows = conn.execute(f"SELECT type, name, tbl_name FROM {q}.sqlite_schema").fetchall()
    tables = sorted(n for t, n, _ in rows if t == "table" and not n.startswith("sqlite_") and n not in shadow)
    views = sorted(n for t, n, _ in rows if t == "view")
    counts = {"table": len(tables), "view": len(views),
              "trigger": sum(1 for t, n, tbl in rows if t == "trigger" and tbl not in shadow)}
    columns = 0
    for rel in tables + views:
        columns += len(conn.execute(f"PRAGMA {q}.table_xinfo({quote(rel)})").fetchall())
    counts["column"] = columns
    indexes = fks = pks = uniques = 0
    for table in tables:
        index_rows = conn.execute(f"PRAGMA {q}.index_list({quote(table)})").fetchall()
        indexes += len(index_rows)
        uniques += sum(1 for r in index_rows if r[3] == "u")
        fks += len({r[0] for r in conn.execute(f"PRAGMA {q}.foreign_key_list({quote(table)})")})
        if any(r[5] > 0 for r in conn.execute(f"PRAGMA {q}.table_xinfo({quote(table)})")):
            pks += 1
    counts["index"] = indexes
    counts["foreign_key"] = fks
    counts["primary_key"] = pks
    counts["unique"] = uniques
    conn.close()
    return counts


def extracted_counts(doc, database_fqn_prefix=None):
    """The same counts read from an extract document."""
    counts = {}
    for e in doc["entities"]:
        if database_fqn_prefix and not (e["fqn"] + ".").startswith(database_fqn_prefix + "."):
            continue
        kind = e["kind"]
        if kind == "constraint":
            kind = e["constraint_type"]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


class CliTestCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="connctl-cli-")
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def assertValidDocument(self, raw):
        doc = json.loads(raw)
        errors = sorted(DOCUMENT_VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
        self.assertEqual([], [f"{list(e.path)}: {e.message}" for e in errors[:10]])
        return doc

    def assertExit(self, proc, code):
        self.assertEqual(code, proc.returncode,
                         f"exit {proc.returncode}, expected {code}; stderr:\n{proc.stderr.decode(errors='replace')}")

    def assertExtractWritesNothing(self, url, secret, code=3):
        """`extract URL --output FILE` exits `code` with nothing on stdout, no
        FILE and `secret` absent from stderr; returns the process."""
        out = self.tmp / "out.json"
        proc = run("extract", url, "--output", str(out))
        self.assertExit(proc, code)
        self.assertEqual(b"", proc.stdout)
        self.assertFalse(out.exists())
        self.assertNotIn(secret, proc.stderr.decode())
        return proc

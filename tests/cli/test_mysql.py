"""connctl against a real MariaDB 10.11 (mariadb_server.py) through MariaDB
Connector/ODBC: extract validates against the published schema and matches
information_schema's counts; lineage runs through a view on a view; a user
without SHOW VIEW exits 3 in test-connection (naming the grant) and 4 in
extract (naming the views); an unreachable server and a wrong password exit 3
with nothing written and no password on stderr; a server that stops answering
in the middle of an extraction does not hold a stop signal up."""

import json
import os
import signal
import subprocess
import time
import unittest

from mariadb_server import NOVIEW, OTHER, READER, SHOP, MariadbServer
from stalling_relay import StallingRelay
from support import BINARY, RECORD_VALIDATOR, CliTestCase, normalise_extracted_at, run

SERVER = None

USER_DBS = "NOT IN ('information_schema', 'mysql', 'performance_schema', 'sys')"


def setUpModule():
    global SERVER
    SERVER = MariadbServer()


def tearDownModule():
    if SERVER:
        SERVER.stop()


class MysqlCliTest(CliTestCase):
    def test_extract_validates_and_counts_equal_information_schema(self):
        proc = run("extract", SERVER.url())
        self.assertExit(proc, 0)
        doc = self.assertValidDocument(proc.stdout)
        self.assertEqual("127.0.0.1", doc["source"])  # named after the host: no database in the URL
        src = '"127.0.0.1"'
        self.assertEqual("mysql", doc["extractor"])
        self.assertEqual("complete", doc["completeness"]["status"])
        kinds = {}
        for e in doc["entities"]:
            kind = e["kind"]
            if kind == "constraint":
                kind = e["constraint_type"]
            if kind == "table" and "partition_of" in e:
                kind = "partition"
            kinds[kind] = kinds.get(kind, 0) + 1
        count = SERVER.count
        self.assertEqual(count(f"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME {USER_DBS}"),
                         kinds["database"])
        self.assertEqual(count("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') "
                               f"AND TABLE_SCHEMA {USER_DBS}"), kinds["table"])
        self.assertEqual(count(f"SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA {USER_DBS}"),
                         kinds["view"])
        self.assertEqual(count("SELECT COUNT(*) FROM information_schema.COLUMNS c JOIN information_schema.TABLES t "
                               "ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND BINARY t.TABLE_NAME = BINARY c.TABLE_NAME "
                               "WHERE t.TABLE_TYPE <> 'SEQUENCE' AND "
                               f"c.TABLE_SCHEMA {USER_DBS}"), kinds["column"])
        self.assertEqual(count("SELECT COUNT(DISTINCT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME) FROM "
                               f"information_schema.STATISTICS WHERE TABLE_SCHEMA {USER_DBS}"), kinds["index"])
        self.assertEqual(count(f"SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA {USER_DBS}"),
                         kinds["trigger"])
        self.assertEqual(count(f"SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA {USER_DBS}")
                         + count(f"SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA {USER_DBS}"),
                         kinds["routine"])
        for kind, sql_type in (("primary_key", "PRIMARY KEY"), ("foreign_key", "FOREIGN KEY"), ("unique", "UNIQUE"),
                               ("check", "CHECK")):
            self.assertEqual(count("SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS WHERE "
                                   f"CONSTRAINT_TYPE = '{sql_type}' AND TABLE_SCHEMA {USER_DBS}"), kinds[kind], kind)
        names = {e["name"] for e in doc["entities"]}
        self.assertIn('order.items "legacy" archive', names)
        self.assertIn("tick`tock", names)
        self.assertIn("café_größe_日本", names)
        edges = {(e["from"], e["to"]): e.get("columns", []) for e in doc["lineage"]}
        self.assertEqual([["customer_id", "customer_id"], ["name", "customer_name"], ["total", "total"]],
                         edges[(f"{src}.{SHOP}.customer_totals", f"{src}.{SHOP}.top_customers")])
        self.assertEqual([["id", "customer_id"], ["name", "name"]],
                         edges[(f"{src}.{SHOP}.customers", f"{src}.{SHOP}.customer_totals")])
        self.assertIn((f"{src}.{SHOP}.customers", f'{src}."{OTHER}".customer_notes'), edges)
        self.assertNotIn(READER[1], proc.stderr.decode())

    def test_ndjson_records_validate_and_output_is_deterministic(self):
        first = run("extract", SERVER.url(), "--format", "ndjson")
        self.assertExit(first, 0)
        for line in first.stdout.decode().splitlines():
            errors = list(RECORD_VALIDATOR.iter_errors(json.loads(line)))
            self.assertEqual([], [e.message for e in errors[:3]], line[:200])
        second = run("extract", SERVER.url(), "--format", "ndjson")
        self.assertEqual(normalise_extracted_at(first.stdout), normalise_extracted_at(second.stdout))

    def test_stats_are_observations_only_when_asked(self):
        plain = json.loads(run("extract", SERVER.url(database=SHOP)).stdout)
        self.assertFalse(any("observations" in e and e["observations"] for e in plain["entities"]))
        proc = run("extract", SERVER.url(database=SHOP), "--stats")
        self.assertExit(proc, 0)
        doc = self.assertValidDocument(proc.stdout)
        customers = next(e for e in doc["entities"] if e["fqn"].endswith(".customers") and e["kind"] == "table")
        for key in ("table_rows", "data_length", "index_length"):
            self.assertIn(key, customers["observations"])

    def test_unreachable_server_exits_3_with_nothing_written(self):
        self.assertExtractWritesNothing("mysql://connctl_reader:Some-Pw-123@127.0.0.1:1/", "Some-Pw-123")
        self.assertEqual([], list(self.tmp.iterdir()))
        tc = run("test-connection", "mysql://connctl_reader:Some-Pw-123@127.0.0.1:1/", "--format", "json")
        self.assertExit(tc, 3)

    def test_wrong_password_exits_3_and_never_prints_the_password(self):
        proc = self.assertExtractWritesNothing(SERVER.url(password="Wrong-Pw-d00d"), "Wrong-Pw-d00d")
        self.assertIn("Access denied", proc.stderr.decode())
        tc = run("test-connection", SERVER.url(password="Wrong-Pw-d00d"), "--format", "json")
        self.assertExit(tc, 3)
        self.assertNotIn(b"Wrong-Pw-d00d", tc.stdout + tc.stderr)

    def test_missing_show_view_test_connection_exits_3_and_extract_exits_4(self):
        tc = run("test-connection", SERVER.url(user=NOVIEW, database=SHOP), "--format", "json")
        self.assertExit(tc, 3)
        report = json.loads(tc.stdout)
        failed = [s for s in report["steps"] if s["status"] == "failed"]
        self.assertEqual(f"read_view_definitions:{SHOP}", failed[0]["name"])
        self.assertEqual(f"GRANT SHOW VIEW ON `{SHOP}`.* TO 'connctl_noview'@'%'", failed[0]["hint"])
        proc = run("extract", SERVER.url(user=NOVIEW))
        self.assertExit(proc, 4)
        doc = self.assertValidDocument(proc.stdout)
        self.assertEqual("partial", doc["completeness"]["status"])
        skipped = sorted(w["object"] for w in doc["warnings"] if w["skipped"])
        views = SERVER.sql(f"SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA {USER_DBS}")
        self.assertEqual(len(views.splitlines()), len(skipped))
        self.assertIn(f'"127.0.0.1".{SHOP}.top_customers', skipped)
        self.assertTrue(all("SHOW VIEW" in w["message"] for w in doc["warnings"]))
        ok = run("test-connection", SERVER.url(), "--format", "json")
        self.assertExit(ok, 0)

    def interrupt_a_stalled_extraction(self, signals):
        """Extracts through a relay that stops passing the server's bytes on
        once the COLUMNS query is sent, then sends `signals` (with a pause
        between them); returns (exit code, seconds from the first signal,
        stderr)."""
        out = self.tmp / "out.json"
        with StallingRelay(SERVER.port, b"information_schema.COLUMNS") as relay:
            url = SERVER.url().replace(f":{SERVER.port}/", f":{relay.port}/")
            env = {k: v for k, v in os.environ.items() if not k.startswith("CONNCTL_CONFIG")}
            proc = subprocess.Popen([BINARY, "extract", url, "--output", str(out)], cwd=self.tmp,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            try:
                self.assertTrue(relay.stalled.wait(60), "the extraction never asked for the columns")
                time.sleep(0.5)
                self.assertIsNone(proc.poll(), "connctl should be waiting for the server")
                started = time.monotonic()
                for i, sig in enumerate(signals):
                    if i:
                        time.sleep(0.3)
                    proc.send_signal(sig)
                _, err = proc.communicate(timeout=60)
                elapsed = time.monotonic() - started
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        self.assertFalse(out.exists())
        self.assertEqual([], os.listdir(self.tmp))  # no temporary file left
        self.assertNotIn(READER[1], err.decode(errors="replace"))
        return proc.returncode, elapsed, err.decode(errors="replace")

    # A query's cancel cannot reach a server that no longer answers: the
    # signal still ends the command within the grace period (5 s), exit 130,
    # no output file; before, it waited for the read timeout (5 minutes).
    def test_a_stop_signal_ends_an_extraction_the_server_stopped_answering(self):
        code, elapsed, err = self.interrupt_a_stalled_extraction([signal.SIGINT])
        self.assertEqual(130, code, err)
        self.assertLess(elapsed, 15, err)
        self.assertIn("stopped at once", err)

    def test_a_second_stop_signal_ends_it_at_once(self):
        code, elapsed, err = self.interrupt_a_stalled_extraction([signal.SIGINT, signal.SIGTERM])
        self.assertEqual(130, code, err)
        self.assertLess(elapsed, 3, err)
        self.assertIn("interrupted again", err)


if __name__ == "__main__":
    unittest.main()

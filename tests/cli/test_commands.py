"""The other commands and global flags: --version, --help, extractors
list/describe, test-connection, config validate, log format, interruption."""

import json
import os
import signal
import sqlite3
import subprocess
import time
import unittest

from support import BINARY, CliTestCase, build_sample, run, stderr_lines


class CommandsTest(CliTestCase):
    def test_example_config_with_every_commented_source_uncommented_is_valid(self):
        from support import SOURCE_DIR
        text = (SOURCE_DIR / "config.example.toml").read_text()
        out, in_block = [], False
        for line in text.splitlines():
            in_block = in_block or line == "# [[source]]"
            if not line.strip():
                in_block = False
            out.append(line[2:] if in_block and line.startswith("# ") else line)
        config = self.tmp / "connctl.toml"
        config.write_text("\n".join(out) + "\n")
        (self.tmp / "examples").mkdir()
        build_sample(self.tmp / "examples")
        proc = run("--config", str(config), "config", "validate",
                   env={"PGPASSWORD": "example-pw", "MYSQL_PASSWORD": "example-pw"})
        self.assertExit(proc, 0)
        self.assertNotIn(b"example-pw", proc.stdout + proc.stderr)

    def test_version(self):
        proc = run("--version")
        self.assertExit(proc, 0)
        self.assertRegex(proc.stdout.decode(), r"^connctl \d+\.\d+\.\d+\n$")

    def test_help_lists_subcommands_and_examples(self):
        proc = run("--help")
        self.assertExit(proc, 0)
        text = proc.stdout.decode()
        for word in ("extract", "test-connection", "extractors", "config", "Examples:", "Exit codes:"):
            self.assertIn(word, text)
        self.assertIn("--output", run("extract", "--help").stdout.decode())

    def test_no_subcommand_is_a_usage_error(self):
        self.assertExit(run(), 2)

    def test_extractors_list_reads_the_registry(self):
        proc = run("extractors", "list", "--format", "json")
        self.assertExit(proc, 0)
        types = {e["type"]: e for e in json.loads(proc.stdout)}
        self.assertIn("sqlite", types)
        self.assertEqual(["sqlite"], types["sqlite"]["url_schemes"])
        self.assertTrue(types["sqlite"]["capabilities"]["lineage"])
        text = run("extractors", "list").stdout.decode()
        self.assertRegex(text, r"(?m)^TYPE\s+URL\s+DESCRIPTION$")
        self.assertRegex(text, r"(?m)^sqlite\s+sqlite://")

    def test_extractors_describe_prints_keys_with_types_and_secrets(self):
        proc = run("extractors", "describe", "sqlite", "--format", "json")
        self.assertExit(proc, 0)
        info = json.loads(proc.stdout)
        keys = {k["name"]: k for k in info["keys"]}
        self.assertEqual("string", keys["path"]["type"])
        self.assertEqual("duration", keys["busy_timeout"]["type"])
        self.assertEqual("string_table", keys["attach"]["type"])
        self.assertFalse(any(k["secret"] for k in info["keys"]))
        self.assertEqual("common", keys["include"]["scope"])
        text = run("extractors", "describe", "sqlite").stdout.decode()
        self.assertIn("busy_timeout", text)
        self.assertExit(run("extractors", "describe", "nosuch"), 2)

    def test_test_connection_passes_on_the_sample(self):
        db = build_sample(self.tmp)
        proc = run("test-connection", f"sqlite://{db}", "--format", "json")
        self.assertExit(proc, 0)
        report = json.loads(proc.stdout)
        self.assertEqual("sample", report["source"])
        self.assertTrue(report["ok"])
        names = [s["name"] for s in report["steps"]]
        self.assertIn("connect", names)
        for step in report["steps"]:
            self.assertIn(step["status"], ("ok", "skipped"))
            self.assertIsInstance(step["duration_ms"], int)
        text = run("test-connection", f"sqlite://{db}").stdout.decode()
        self.assertRegex(text, r"(?m)^STEP\s+STATUS\s+TIME\s+DETAIL$")

    def test_test_connection_fails_a_step_and_exits_3(self):
        proc = run("test-connection", f"sqlite://{self.tmp}/missing.db", "--format", "json")
        self.assertExit(proc, 3)
        report = json.loads(proc.stdout)
        self.assertFalse(report["ok"])
        failed = [s for s in report["steps"] if s["status"] == "failed"]
        self.assertEqual(1, len(failed))
        self.assertTrue(failed[0]["error"])
        after = report["steps"][report["steps"].index(failed[0]) + 1:]
        self.assertTrue(all(s["status"] == "skipped" for s in after))

    def test_config_validate(self):
        db = build_sample(self.tmp)
        config = self.tmp / "connctl.toml"
        config.write_text(f'[catalog]\nurl = "sqlite:///{self.tmp}/catalog.db"\n\n'
                          f'[[source]]\nname = "shop"\ntype = "sqlite"\npath = "{db}"\n\n'
                          f'[[job]]\nname = "nightly"\nsource = "shop"\nschedule = "0 3 * * *"\n')
        proc = run("--config", str(config), "config", "validate", "--format", "json")
        self.assertExit(proc, 0)
        result = json.loads(proc.stdout)
        self.assertEqual([{"name": "shop", "type": "sqlite"}], result["sources"])
        self.assertEqual(["nightly"], result["jobs"])
        # $CONNCTL_CONFIG is the second place looked at.
        proc = run("config", "validate", env={"CONNCTL_CONFIG": str(config)})
        self.assertExit(proc, 0)
        self.assertIn("ok (1 sources, 1 jobs)", proc.stdout.decode())
        config.write_text('[[job]]\nname = "nightly"\nsource = "nowhere"\nschedule = "0 3 * * *"\n')
        proc = run("--config", str(config), "config", "validate")
        self.assertExit(proc, 2)
        self.assertIn(f"{config}:", stderr_lines(proc)[0])

    def test_json_log_lines(self):
        proc = run("--log-format", "json", "extract", f"sqlite://{self.tmp}/missing.db")
        self.assertExit(proc, 3)
        line = json.loads(stderr_lines(proc)[0])
        self.assertEqual("error", line["level"])
        self.assertIn("missing.db", line["msg"])

    def test_no_color_and_no_progress_when_not_a_terminal(self):
        db = build_sample(self.tmp)
        proc = run("extract", f"sqlite://{db}")
        self.assertNotIn(b"\x1b[", proc.stderr)
        self.assertNotIn(b"\r", proc.stderr)

    def test_sigint_interrupts_a_lock_wait_with_exit_130_and_no_output(self):
        db = build_sample(self.tmp)
        config = self.tmp / "connctl.toml"
        config.write_text(f'[[source]]\nname = "shop"\ntype = "sqlite"\npath = "{db}"\nbusy_timeout = "60s"\n')
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("PRAGMA journal_mode = DELETE")
        holder.execute("BEGIN EXCLUSIVE")  # connctl now waits for the lock
        out = self.tmp / "out.json"
        env = {k: v for k, v in os.environ.items() if k != "CONNCTL_CONFIG"}
        proc = subprocess.Popen([BINARY, "--config", str(config), "extract", "shop", "--output", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            time.sleep(0.5)
            self.assertIsNone(proc.poll(), "connctl should be waiting for the lock")
            started = time.monotonic()
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=10)
            self.assertLess(time.monotonic() - started, 5)
            self.assertEqual(130, proc.returncode, err.decode(errors="replace"))
            self.assertFalse(out.exists())
            self.assertEqual([], [n for n in os.listdir(self.tmp) if ".tmp-" in n])
        finally:
            if proc.poll() is None:
                proc.kill()
            holder.execute("ROLLBACK")
            holder.close()

    def test_quiet_prints_nothing_on_success(self):
        db = build_sample(self.tmp)
        proc = run("--quiet", "extract", f"sqlite://{db}")
        self.assertExit(proc, 0)
        self.assertEqual(b"", proc.stderr)


if __name__ == "__main__":
    unittest.main()

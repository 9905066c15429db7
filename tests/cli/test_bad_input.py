"""Bad input: every case gives one clear line on stderr, the documented exit
code, and --output is neither created nor replaced."""

import os
import unittest

from support import CliTestCase, build_sample, run, stderr_lines

USAGE, CONNECTION = 2, 3


class BadInputTest(CliTestCase):
    def setUp(self):
        super().setUp()
        self.out = self.tmp / "out.json"
        self.existing = self.tmp / "existing.json"
        self.existing.write_text("previous output\n")

    def check(self, args, code, expect_in_message, env=None, cwd=None):
        for target, before in ((self.out, None), (self.existing, "previous output\n")):
            proc = run(*args, "--output", str(target), env=env, cwd=cwd)
            self.assertExit(proc, code)
            lines = stderr_lines(proc)
            self.assertEqual(1, len(lines), lines)
            self.assertIn(expect_in_message, lines[0])
            self.assertEqual(b"", proc.stdout)
            if before is None:
                self.assertFalse(target.exists(), "output created")
            else:
                self.assertEqual(before, target.read_text(), "output replaced")
            leftovers = [n for n in os.listdir(self.tmp) if ".tmp-" in n]
            self.assertEqual([], leftovers)

    def test_missing_file_is_a_connection_failure(self):
        missing = self.tmp / "nope.db"
        self.check(["extract", f"sqlite://{missing}"], CONNECTION, str(missing))
        self.assertFalse(missing.exists(), "a missing database must not be created")

    def test_a_file_that_is_not_sqlite(self):
        bogus = self.tmp / "notes.db"
        bogus.write_text("these are not the bytes of a database\n" * 200)
        self.check(["extract", f"sqlite://{bogus}"], CONNECTION, "not a database")

    def test_a_corrupt_database(self):
        db = build_sample(self.tmp)
        data = bytearray(db.read_bytes())
        # Page 1 holds sqlite_schema after the 100-byte header: scribble over it.
        data[100:4096] = b"\xa5" * (4096 - 100)
        db.write_bytes(bytes(data))
        self.check(["extract", f"sqlite://{db}"], CONNECTION, "malformed")

    def test_unknown_source_type_in_config(self):
        config = self.tmp / "c.toml"
        config.write_text('[[source]]\nname = "x"\ntype = "oracle9"\n')
        self.check(["--config", str(config), "extract", "x"], USAGE, "oracle9")

    def test_unknown_url_scheme(self):
        self.check(["extract", "oracle9://host/db"], USAGE, "oracle9")

    def test_unknown_source_name(self):
        config = self.tmp / "c.toml"
        config.write_text('[[source]]\nname = "x"\ntype = "sqlite"\npath = "/tmp/x.db"\n')
        self.check(["--config", str(config), "extract", "y"], USAGE, "no source named 'y'")

    def test_unreadable_config(self):
        config = self.tmp / "c.toml"
        config.write_text('[[source]]\nname = "x"\ntype = "sqlite"\npath = "/tmp/x.db"\n')
        config.chmod(0)
        if os.access(config, os.R_OK):  # root reads anything: use a directory instead
            config = self.tmp / "a-directory.toml"
            config.mkdir()
        self.check(["--config", str(config), "extract", "x"], USAGE, str(config))

    def test_missing_config_named_explicitly(self):
        self.check(["--config", str(self.tmp / "absent.toml"), "extract", "x"], USAGE, "absent.toml")

    def test_malformed_config_names_file_and_line(self):
        config = self.tmp / "c.toml"
        config.write_text('[[source]]\nname = "x"\ntype = "sqlite"\npath = \n')
        self.check(["--config", str(config), "extract", "x"], USAGE, f"{config}:4")

    def test_wrong_key_type_names_file_line_and_key(self):
        config = self.tmp / "c.toml"
        config.write_text('[[source]]\nname = "x"\ntype = "sqlite"\npath = 42\n')
        self.check(["--config", str(config), "extract", "x"], USAGE, f"{config}:4")

    def test_unknown_key_names_file_line_and_key(self):
        config = self.tmp / "c.toml"
        config.write_text('[[source]]\nname = "x"\ntype = "sqlite"\npath = "/tmp/x.db"\npaht = "y"\n')
        self.check(["--config", str(config), "extract", "x"], USAGE, "paht")

    def test_unset_environment_reference(self):
        config = self.tmp / "c.toml"
        config.write_text('[[source]]\nname = "x"\ntype = "sqlite"\npath = "${env:CONNCTL_TEST_UNSET_VAR}"\n')
        os.environ.pop("CONNCTL_TEST_UNSET_VAR", None)
        self.check(["--config", str(config), "extract", "x"], USAGE, "CONNCTL_TEST_UNSET_VAR")

    def test_bad_flag_is_a_usage_error(self):
        self.check(["extract", "sqlite:///tmp/x.db", "--format", "xml"], USAGE, "format")


if __name__ == "__main__":
    unittest.main()

"""connctl with `type = "odbc"`: extract through the SQLite3 driver validates
against the published schema; an unknown driver exits 3 naming it; a wrong
password through the PostgreSQL Unicode driver exits 3 (extract and
test-connection) with the password absent from stderr and stdout; a password
given by ${env:} reference is never printed either."""

import json
import unittest

import support
from pg_server import DATABASE, READER, PgServer
from support import DOCUMENT_VALIDATOR, CliTestCase, run

SERVER = None


def setUpModule():
    global SERVER
    SERVER = PgServer()


def tearDownModule():
    if SERVER:
        SERVER.stop()


class OdbcCliTest(CliTestCase):
    def config(self, body):
        path = self.tmp / "connctl.toml"
        path.write_text(body)
        return str(path)

    def pg_source(self, password_line):
        return self.config(f"""
[[source]]
name = "pgodbc"
type = "odbc"
driver = "PostgreSQL Unicode"
server = "127.0.0.1"
port = {SERVER.port}
database = "{DATABASE}"
uid = "{READER[0]}"
{password_line}
attributes = {{ SSLmode = "disable" }}
""")

    def test_extract_sqlite_through_odbc_is_a_valid_document(self):
        db = support.build_sample(self.tmp)
        config = self.config(f"""
[[source]]
name = "s"
type = "odbc"
driver = "SQLite3"
database = "{db}"
database_name = "main"
""")
        proc = run("--config", config, "extract", "s")
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        document = json.loads(proc.stdout)
        DOCUMENT_VALIDATOR.validate(document)
        kinds = {e["kind"] for e in document["entities"]}
        self.assertTrue({"database", "table", "view", "column", "constraint", "index"} <= kinds, kinds)

    def test_unknown_driver_exits_3_naming_it(self):
        config = self.config("""
[[source]]
name = "nope"
type = "odbc"
driver = "No Such ODBC Driver"
""")
        for command in ("extract", "test-connection"):
            proc = run("--config", config, command, "nope")
            self.assertEqual(proc.returncode, 3, (command, proc.stderr.decode()))
            self.assertIn("No Such ODBC Driver", proc.stderr.decode() + proc.stdout.decode())

    def test_wrong_password_exits_3_without_the_password(self):
        password = "Wrong-Odbc-Pw-77c2"
        config = self.pg_source(f'pwd = "{password}"')
        for command in ("extract", "test-connection"):
            proc = run("--config", config, command, "pgodbc")
            self.assertEqual(proc.returncode, 3, (command, proc.stderr.decode()))
            self.assertNotIn(password, proc.stderr.decode(), command)
            self.assertNotIn(password, proc.stdout.decode(), command)

    def test_password_by_env_reference_works_and_is_not_printed(self):
        config = self.pg_source('pwd = "${env:ODBC_TEST_PW}"')
        proc = run("--config", config, "--log-level", "debug", "extract", "pgodbc",
                   env={"ODBC_TEST_PW": READER[1]})
        if proc.returncode == 2 and b"--log-level" in proc.stderr:
            proc = run("--config", config, "extract", "pgodbc", env={"ODBC_TEST_PW": READER[1]})
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertNotIn(READER[1], proc.stderr.decode())
        document = json.loads(proc.stdout)
        DOCUMENT_VALIDATOR.validate(document)
        self.assertTrue(any(e["kind"] == "table" for e in document["entities"]))


if __name__ == "__main__":
    unittest.main()

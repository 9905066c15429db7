"""The two kinds of catalog the end-to-end tests run connctl against, with a
way to read (and break) them directly: a SQLite file read with Python's sqlite3,
and a database of the throwaway PostgreSQL server (pg_server.py) read with psql."""

import itertools
import sqlite3
import subprocess


class SqliteCatalog:
    kind = "sqlite"

    def __init__(self, path):
        self.path = path
        self.url = f"sqlite://{path}"

    def query(self, sql):
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def execute(self, sql):
        conn = sqlite3.connect(self.path)
        try:
            conn.executescript(sql)
        finally:
            conn.close()

    def exists(self):
        return self.path.exists()


_counter = itertools.count(1)


class PgCatalog:
    """A fresh database per catalog (cat_<pid>_<n>), the superuser over loopback."""

    kind = "postgres"

    def __init__(self, server, name=None):
        import os
        self.server = server
        self.database = name or f"cat_{os.getpid()}_{next(_counter)}"
        server.psql("postgres", f"CREATE DATABASE {self.database}")
        self.url = f"postgresql://postgres@127.0.0.1:{server.port}/{self.database}?sslmode=disable"

    def query(self, sql):
        out = subprocess.run(self.server.psql_args(self.database) + ["-F", "\x1f", "-c", sql],
                             capture_output=True, check=True, timeout=120).stdout.decode()
        rows = []
        for line in out.splitlines():
            rows.append(tuple(int(v) if v.lstrip("-").isdigit() else (None if v == "" else v)
                              for v in line.split("\x1f")))
        return rows

    def execute(self, sql):
        self.server.psql(self.database, sql)

    def exists(self):
        return bool(self.query("SELECT 1 FROM pg_tables WHERE tablename = 'runs'"))


def live_state(catalog):
    """{(kind, fqn): fingerprint} of every live version."""
    rows = catalog.query("SELECT e.kind, e.fqn, v.fingerprint FROM versions v JOIN entities e "
                         "ON e.id = v.entity WHERE v.valid_to_run IS NULL")
    return {(k, f): fp for k, f, fp in rows}


def scalar(catalog, sql):
    return catalog.query(sql)[0][0]

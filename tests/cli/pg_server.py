"""A throwaway PostgreSQL 15 server for the end-to-end postgres tests, the same
as tests/support/pg_server.cpp: initdb into a temporary directory, loopback
and a unix socket in that directory, fsync off, a free port (retried when taken
by a parallel test), loaded with tests/data/postgres/*.sql; run as the system
user connctl-test when root. Roles: postgres (trust), connctl_reader and
connctl_limited (SCRAM passwords below)."""

import shutil
import subprocess
from pathlib import Path

from server_support import as_server_user, free_port, give_to_server_user, make_server_dir
from support import SOURCE_DIR

BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "connctl_test"
OTHER_DATABASE = "connctl_other"
READER = ("connctl_reader", "Reader-Pw-7f3c!x")
LIMITED = ("connctl_limited", "Limited-Pw-91aa")


class PgServer:
    def __init__(self):
        self.dir = make_server_dir("connctl-pgcli-")
        self.port = None
        self.running = False
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _run(self, argv, check=True):
        log = open(self.dir / "setup.log", "ab")
        try:
            return subprocess.run(as_server_user(argv), stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                  check=check, timeout=120)
        finally:
            log.close()

    def _start(self):
        give_to_server_user(self.dir)
        data = self.dir / "data"
        self._run([str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                   "--no-locale", "--no-sync"])
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                       "max_connections = 40\nshared_buffers = 32MB\n")
        with open(data / "pg_hba.conf", "w") as hba:
            hba.write("local all postgres trust\nhost all postgres 127.0.0.1/32 trust\n"
                      "local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n")
        for _ in range(5):
            self.port = free_port()
            if self._run(self._pg_ctl("start", "-l", str(self.dir / "server.log"), "-o", f"-p {self.port}"),
                         check=False).returncode == 0:
                self.running = True
                break
        if not self.running:
            raise RuntimeError("the test server did not start: " + (self.dir / "server.log").read_text()[-2000:])
        sql = SOURCE_DIR / "tests" / "data" / "postgres"
        self.psql("postgres", file=sql / "roles.sql")
        self.psql("postgres", f"ALTER ROLE {READER[0]} PASSWORD '{READER[1]}'")
        self.psql("postgres", f"ALTER ROLE {LIMITED[0]} PASSWORD '{LIMITED[1]}'")
        self.psql("postgres", f"CREATE DATABASE {DATABASE}")
        self.psql("postgres", f"CREATE DATABASE {OTHER_DATABASE}")
        self.psql(DATABASE, file=sql / "schema.sql")
        self.psql(OTHER_DATABASE, file=sql / "other.sql")

    def _pg_ctl(self, command, *extra):
        return [str(BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-w", "-t", "60", *extra, command]

    def psql_args(self, database):
        return ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", str(self.dir), "-p", str(self.port),
                "-U", "postgres", "-d", database]

    def psql(self, database, sql=None, file=None):
        args = self.psql_args(database) + (["-f", str(file)] if file else ["-c", sql])
        return subprocess.run(args, capture_output=True, check=True, timeout=120).stdout.decode()

    def url(self, role=READER, database=DATABASE, password=None):
        pw = role[1] if password is None else password
        return f"postgresql://{role[0]}:{pw}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def restart_immediate(self):
        self._run(self._pg_ctl("restart", "-m", "immediate", "-l", str(self.dir / "server.log"),
                               "-o", f"-p {self.port}"))

    def stop(self):
        if self.running:
            self._run(self._pg_ctl("stop", "-m", "immediate"), check=False)
            self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)

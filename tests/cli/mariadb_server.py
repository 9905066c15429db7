"""A throwaway MariaDB server for the end-to-end mysql tests, the same as
tests/support/mariadb_server.cpp: mariadb-install-db into a temporary
directory, mariadbd --no-defaults on 127.0.0.1 and a free port (retried when
taken by a parallel test) plus a unix socket in that directory, durability
off, grant checks on, loaded with tests/data/mysql/*.sql; run as the system
user connctl-test when root. Users: root (no password), connctl_reader and
connctl_noview (passwords below; the latter lacks SHOW VIEW)."""

import shutil
import signal
import subprocess
import time
from pathlib import Path

from server_support import OS_USER, as_server_user, free_port, give_to_server_user, is_root, make_server_dir
from support import SOURCE_DIR

SHOP = "connctl_shop"
OTHER = "connctl.other db"
READER = ("connctl_reader", "Reader-Pw-7f3c!x")
NOVIEW = ("connctl_noview", "NoView-Pw-91aa")


class MariadbServer:
    def __init__(self):
        self.dir = make_server_dir("connctl-mariadbcli-")
        self.socket = self.dir / "mysqld.sock"
        self.port = None
        self.process = None
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        give_to_server_user(self.dir)
        install = ["mariadb-install-db", "--no-defaults", f"--datadir={self.dir / 'data'}",
                   "--auth-root-authentication-method=normal", "--skip-test-db", f"--tmpdir={self.dir}"]
        proc = subprocess.run(as_server_user(install), capture_output=True, stdin=subprocess.DEVNULL, timeout=180)
        if proc.returncode != 0:
            raise RuntimeError("mariadb-install-db failed: " + proc.stdout.decode()[-2000:] + proc.stderr.decode())
        error_log = self.dir / "error.log"
        for _ in range(5):
            self.port = free_port()
            argv = ["mariadbd", "--no-defaults", f"--datadir={self.dir / 'data'}", f"--socket={self.socket}",
                    f"--port={self.port}", "--bind-address=127.0.0.1", f"--pid-file={self.dir / 'mariadbd.pid'}",
                    # Its own: a starting server deletes every #sql* file in its tmpdir,
                    # other servers' temporary tables included.
                    f"--tmpdir={self.dir}",
                    f"--log-error={error_log}", "--skip-name-resolve", "--skip-log-bin",
                    "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
                    "--event-scheduler=OFF", "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
                    "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
                    "--innodb-flush-method=nosync", "--max-connections=60"]
            if is_root():
                argv.append(f"--user={OS_USER}")  # mariadbd drops privileges itself
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and process.poll() is None:
                if subprocess.run(["mariadb-admin", "--no-defaults", "-S", str(self.socket), "-uroot", "ping"],
                                  capture_output=True).returncode == 0:
                    self.process = process
                    break
                time.sleep(0.2)
            if self.process:
                break
            if process.poll() is None:
                process.kill()
                process.wait()
        if not self.process:
            raise RuntimeError("the test server did not start: " + error_log.read_text(errors="replace")[-2000:])
        data = SOURCE_DIR / "tests" / "data" / "mysql"
        for name in ("schema.sql", "other.sql", "users.sql"):
            self.sql(file=data / name)
        self.sql(f"ALTER USER {READER[0]}@'%' IDENTIFIED BY '{READER[1]}'; "
                 f"ALTER USER {NOVIEW[0]}@'%' IDENTIFIED BY '{NOVIEW[1]}'")

    def sql(self, sql=None, file=None):
        """Runs SQL as root; returns the tab-separated rows without headers."""
        data = Path(file).read_bytes() if file else sql.encode()
        proc = subprocess.run(["mariadb", "--no-defaults", "-S", str(self.socket), "-uroot", "--batch",
                               "--skip-column-names", "--raw", "--comments", "--default-character-set=utf8mb4"],
                              input=data, capture_output=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError("test server SQL failed: " + proc.stderr.decode(errors="replace"))
        return proc.stdout.decode()

    def count(self, sql):
        return int(self.sql(sql).strip())

    def url(self, user=READER, database=None, password=None):
        pw = user[1] if password is None else password
        from urllib.parse import quote
        path = "/" + quote(database, safe="") if database else "/"
        return f"mysql://{user[0]}:{quote(pw, safe='')}@127.0.0.1:{self.port}{path}"

    def stop(self):
        if self.process:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)

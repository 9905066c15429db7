"""What the throwaway database servers of the end-to-end tests (pg_server.py,
mariadb_server.py) share, the same as tests/support/server_support.cpp: the
unprivileged system user they run as when the tests run as root, a free
loopback port and the server's temporary directory."""

import os
import pwd
import socket
import subprocess
import tempfile
from pathlib import Path

OS_USER = "connctl-test"


def is_root():
    return os.geteuid() == 0


def as_server_user(argv):
    """argv, run through runuser as OS_USER when root."""
    return ["runuser", "-u", OS_USER, "--", *argv] if is_root() else argv


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_server_dir(prefix):
    """A new temporary directory (mode 0755) for a server."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o755)
    return path


def give_to_server_user(path):
    """Creates OS_USER when root and it is missing, and hands it `path`."""
    if not is_root():
        return
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OS_USER],
                       capture_output=True)
    entry = pwd.getpwnam(OS_USER)
    os.chown(path, entry.pw_uid, entry.pw_gid)

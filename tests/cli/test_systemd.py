"""The unit files in systemd/ pass `systemd-analyze verify` (with ExecStart
pointed at the built binary, since verify checks that it exists) and keep
the settings docs/daemon.md promises."""

import os
import re
import shutil
import subprocess
import unittest

from support import BINARY, SOURCE_DIR, CliTestCase

UNITS = ["connctl.service", "connctl-sync@.service", "connctl-sync@.timer"]


def analyze(directory, *units):
    env = dict(os.environ, SYSTEMD_LOG_LEVEL="notice", SYSTEMD_PAGER="", SYSTEMD_COLORS="0")
    return subprocess.run(["systemd-analyze", "verify", "--man=no", *[str(directory / u) for u in units]],
                          capture_output=True, text=True, env=env, timeout=120, cwd=directory)


class SystemdUnitTest(CliTestCase):
    def setUp(self):
        super().setUp()
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed (scripts/setup.sh installs systemd)")
        for unit in UNITS:
            text = (SOURCE_DIR / "systemd" / unit).read_text()
            (self.tmp / unit).write_text(text.replace("/usr/bin/connctl", BINARY))

    def test_systemd_analyze_verify_passes_without_warnings(self):
        proc = analyze(self.tmp, *UNITS)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual("", proc.stderr.strip())

    def test_verify_would_catch_a_broken_unit(self):
        # Guards the test above: verify reports what is wrong in this environment.
        broken = (self.tmp / "connctl.service").read_text().replace("Type=notify", "Type=notifyish")
        (self.tmp / "broken.service").write_text(broken + "\nBogusKey=1\n")
        proc = analyze(self.tmp, "broken.service")
        self.assertIn("notifyish", proc.stderr)
        self.assertIn("BogusKey", proc.stderr)

    def test_the_daemon_unit_is_notify_type_with_watchdog_reload_and_hardening(self):
        text = (SOURCE_DIR / "systemd" / "connctl.service").read_text()
        settings = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
        self.assertEqual("notify", settings["Type"])
        self.assertIn("daemon", settings["ExecStart"])
        self.assertEqual("/bin/kill -HUP $MAINPID", settings["ExecReload"])
        self.assertTrue(settings["WatchdogSec"])
        for key, value in [("DynamicUser", "yes"), ("StateDirectory", "connctl"), ("ProtectSystem", "strict"),
                           ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("NoNewPrivileges", "yes"),
                           ("CapabilityBoundingSet", "")]:
            self.assertEqual(value, settings[key], key)
        sync = (SOURCE_DIR / "systemd" / "connctl-sync@.service").read_text()
        self.assertRegex(sync, r"ExecStart=/usr/bin/connctl sync %i ")
        timer = (SOURCE_DIR / "systemd" / "connctl-sync@.timer").read_text()
        self.assertIn("OnCalendar=", timer)


if __name__ == "__main__":
    unittest.main()

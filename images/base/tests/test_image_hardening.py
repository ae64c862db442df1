"""Properties of the image itself; meaningful only inside it (test-image runs them there)."""

import os
import pwd
import shutil
import stat
import unittest
from pathlib import Path

IN_IMAGE = Path("/opt/openclaw/agent/agent_runtime.py").exists()


@unittest.skipUnless(IN_IMAGE, "checks the built image; run by test-image")
class ImageHardeningTest(unittest.TestCase):
    def test_runs_as_the_agent_user_without_login_shell_or_sudo(self) -> None:
        self.assertEqual(os.getuid(), 1001)
        agent = pwd.getpwuid(1001)
        self.assertEqual((agent.pw_name, agent.pw_gid, agent.pw_shell), ("agent", 0, "/usr/sbin/nologin"))
        self.assertIsNone(shutil.which("sudo"))

    def test_no_setuid_or_setgid_files(self) -> None:
        found = []
        root_dev = os.stat("/").st_dev
        for top in ("/usr", "/bin", "/sbin", "/etc", "/opt", "/var"):
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames[:] = [d for d in dirnames if os.lstat(os.path.join(dirpath, d)).st_dev == root_dev]
                for name in filenames:
                    mode = os.lstat(os.path.join(dirpath, name)).st_mode
                    if stat.S_ISREG(mode) and mode & (stat.S_ISUID | stat.S_ISGID):
                        found.append(os.path.join(dirpath, name))
        self.assertEqual(found, [])

    def test_workspace_belongs_to_the_agent_and_group_0(self) -> None:
        info = os.stat("/workspace")
        self.assertEqual((info.st_uid, info.st_gid), (1001, 0))
        self.assertEqual(stat.S_IMODE(info.st_mode) & 0o2070, 0o2070)


if __name__ == "__main__":
    unittest.main()

"""Every executable of the image is classified, from its files: plain (runs no other program) or able to run programs.

The walk covers the whole image, links and hard links resolved to the file they
are, so a program is one program under every name it has (util-linux's setarch
is also i386, linux32, linux64 and, where installed, x86_64 and uname26).
"""

import os
import stat
import sys
import unittest

from agent.program_classes import ProgramClasses, listed_paths

IN_IMAGE = os.path.exists("/opt/openclaw/agent/agent_runtime.py")
SKIP = {"/proc", "/sys", "/dev", "/tmp", "/workspace", "/run", "/var/tmp"}

# Programs that run a program, a pager, a library or code they are given (their manuals; GTFOBins): none may be plain,
# under any of its names. Where a name is missing from the image it is skipped.
RUN_PROGRAMS = {
    "setarch": "runs the program it is given (setarch ARCH PROGRAM)", "i386": "setarch", "x86_64": "setarch", "linux32": "setarch",
    "linux64": "setarch", "uname26": "setarch", "env": "env PROGRAM", "nice": "nice PROGRAM", "nohup": "nohup PROGRAM",
    "timeout": "timeout N PROGRAM", "stdbuf": "stdbuf -o0 PROGRAM", "chroot": "chroot DIR PROGRAM", "runcon": "runcon CONTEXT PROGRAM",
    "install": "install -s --strip-program=PROGRAM", "sort": "sort --compress-program=PROGRAM", "split": "split --filter=COMMAND",
"diff3": "diff3 --diff-program=PROGRAM", "sdiff": "sdiff --diff-program=PROGRAM",
    "getconf": "getconf -v SPEC runs helpers", "openssl": "openssl -engine PATH loads a library", "sed": "GNU sed's e command",
    "awk": "system()", "mawk": "system()", "tar": "tar --to-command", "find": "find -exec", "xargs": "xargs PROGRAM", "flock": "flock FILE PROGRAM",
    "taskset": "taskset MASK PROGRAM", "ionice": "ionice PROGRAM", "chrt": "chrt N PROGRAM", "prlimit": "prlimit PROGRAM", "choom": "choom -n N PROGRAM",
    "uclampset": "uclampset PROGRAM", "setsid": "setsid PROGRAM", "setpriv": "setpriv PROGRAM", "unshare": "unshare PROGRAM", "nsenter": "nsenter PROGRAM",
    "script": "script -c COMMAND", "scriptlive": "runs a shell", "su": "su -c", "runuser": "runuser -c", "run-parts": "runs a directory",
    "start-stop-daemon": "starts PROGRAM", "more": "! shell escape", "pager": "more", "less": "! shell escape", "dmesg": "-H pages through less",
    "ldd": "runs the dynamic loader on its argument", "pldd": "attaches to a process", "sh": "shell", "dash": "shell", "bash": "shell", "rbash": "shell",
    "python3": "interpreter", "perl": "interpreter", "tini": "runs PROGRAM", "apt-get": "runs hooks", "dpkg": "runs maintainer scripts",
}


def executables() -> dict[tuple[int, int], set[str]]:
    """Every executable regular file of the image, by identity, with every path (link or not) that reaches it."""
    found: dict[tuple[int, int], set[str]] = {}
    for top, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in SKIP]
        for name in files:
            path = os.path.join(top, name)
            try:
                info = os.stat(path)
            except OSError:
                continue  # a dangling link
            if stat.S_ISREG(info.st_mode) and info.st_mode & 0o111:
                found.setdefault((info.st_dev, info.st_ino), set()).add(path)
    return found


@unittest.skipUnless(IN_IMAGE, "walks the built image; run by test-image")
class ImageProgramClassesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.classes = ProgramClasses()
        cls.found = executables()
        cls.plain = {identity: paths for identity, paths in cls.found.items() if cls.classes.is_plain(sorted(paths)[0])}
        names = sum(len(paths) for paths in cls.found.values())
        print(f"\n{len(cls.found)} executable files under {names} paths: {len(cls.plain)} plain, {len(cls.found) - len(cls.plain)} may run programs", file=sys.stderr)

    def test_every_listed_program_is_a_file_of_the_image(self) -> None:
        # A stale or mistyped entry is ignored by the runtime (fail closed); here it is an error to fix in the list.
        listed = listed_paths()
        self.assertEqual([p for p in listed if not os.path.exists(p)], [])
        self.assertEqual(len(self.classes), len({os.path.realpath(p) for p in listed}))

    def test_no_program_that_runs_programs_is_plain_under_any_name(self) -> None:
        for identity, paths in self.plain.items():
            names = {os.path.basename(p) for p in paths}
            with self.subTest(sorted(paths)[0]):
                self.assertEqual({n: RUN_PROGRAMS[n] for n in names if n in RUN_PROGRAMS}, {})

    def test_the_known_ones_are_classified_as_running_programs_wherever_they_are(self) -> None:
        checked = 0
        for identity, paths in self.found.items():
            for path in paths:
                if os.path.basename(path) in RUN_PROGRAMS:
                    checked += 1
                    with self.subTest(path):
                        self.assertFalse(self.classes.is_plain(path))
        self.assertGreater(checked, 40)

    def test_scripts_are_never_plain(self) -> None:
        for paths in self.plain.values():
            with open(sorted(paths)[0], "rb") as handle:
                self.assertEqual(handle.read(4), b"\x7fELF", sorted(paths))


if __name__ == "__main__":
    unittest.main()

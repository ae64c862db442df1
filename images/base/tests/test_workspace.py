"""The workspace confines every path, even when the task changes the tree while the runtime uses it."""

import os
import resource
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

from agent.workspace import MAX_SYMLINKS, PathRefused, Workspace

SECRET = "SECRET-OUTSIDE-THE-WORKSPACE"


def make_dir() -> Path:
    return Path(tempfile.mkdtemp()).resolve()


def returns_within(test: unittest.TestCase, seconds: float, call):
    """Runs `call` in a thread; fails (instead of hanging the suite) when it blocks. Returns its result or raises its exception."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as error:  # handed to the caller
            box["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        test.fail(f"blocked for more than {seconds}s")
    if "error" in box:
        raise box["error"]
    return box["value"]


class WorkspaceCase(unittest.TestCase):
    def setUp(self) -> None:
        self.root = make_dir()
        self.outside = make_dir()
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        self.addCleanup(shutil.rmtree, self.outside, ignore_errors=True)
        (self.root / "secrets").mkdir()
        (self.root / "secrets" / "key").write_text("inside")
        (self.root / "a").mkdir()
        (self.root / "sub").mkdir()
        (self.outside / "x.txt").write_text(SECRET)
        self.workspace = Workspace(self.root)
        self.addCleanup(self.workspace.close)

    def assert_outside_untouched(self) -> None:
        self.assertEqual(sorted(p.name for p in self.outside.iterdir()), ["x.txt"])
        self.assertEqual((self.outside / "x.txt").read_text(), SECRET)


class CanonicalTest(WorkspaceCase):
    def test_spellings_of_one_file_give_one_canonical_path(self) -> None:
        os.symlink("secrets", self.root / "link-to-secrets")
        os.symlink("../secrets", self.root / "sub" / "up-to-secrets")
        os.symlink(str(self.root / "secrets"), self.root / "absolute-link")
        os.symlink("link-to-secrets", self.root / "chain")
        os.symlink(str(self.root / "a" / ".." / "secrets" / "key"), self.root / "absolute-with-dotdot")
        os.symlink("secrets/key", self.root / "file-link")
        for requested in [
            "secrets/key",
            "./secrets/key",
            "secrets//key",
            "secrets/./key",
            "a/../secrets/key",
            "missing/../secrets/key",
            "secrets/key/",
            "link-to-secrets/key",
            "sub/up-to-secrets/key",
            "absolute-link/key",
            "chain/key",
            "absolute-with-dotdot",
            "file-link",
            "sub/../link-to-secrets/../secrets/key",
        ]:
            with self.subTest(requested=requested):
                self.assertEqual(self.workspace.canonical(requested), "secrets/key")

    def test_spellings_of_the_root_give_dot(self) -> None:
        os.symlink(".", self.root / "self")
        for requested in [".", "./", ".//.", "a/..", "secrets/../a/..", "self", "self/self/."]:
            with self.subTest(requested=requested):
                self.assertEqual(self.workspace.canonical(requested), ".")

    def test_paths_that_do_not_exist_yet_are_kept_lexically(self) -> None:
        os.symlink("secrets", self.root / "link-to-secrets")
        os.symlink("not-yet", self.root / "dangling")
        for requested, expected in [
            ("new/dir/file.txt", "new/dir/file.txt"),
            ("secrets/new.txt", "secrets/new.txt"),
            ("link-to-secrets/new/x", "secrets/new/x"),
            ("dangling", "not-yet"),
            ("new/../secrets/key", "secrets/key"),
        ]:
            with self.subTest(requested=requested):
                self.assertEqual(self.workspace.canonical(requested), expected)

    def test_root_is_the_real_path(self) -> None:
        os.symlink(self.root, self.outside / "root-link")
        workspace = Workspace(self.outside / "root-link")
        self.addCleanup(workspace.close)
        self.assertEqual(workspace.root, self.root)
        self.assertEqual(workspace.canonical("secrets/key"), "secrets/key")

    def test_everything_that_leads_out_is_refused_with_a_one_line_message(self) -> None:
        sibling = Path(str(self.root) + "-sibling")
        sibling.mkdir()
        self.addCleanup(shutil.rmtree, sibling, ignore_errors=True)
        os.symlink(self.outside, self.root / "out")
        os.symlink("/etc/passwd", self.root / "passwd")
        os.symlink("/dev/null", self.root / "devnull")
        os.symlink("..", self.root / "up")
        os.symlink("../../x", self.root / "sub" / "deep-up")
        os.symlink(str(self.root) + "/../x", self.root / "absolute-dotdot")
        os.symlink(str(sibling), self.root / "prefix-sibling")
        os.symlink("loop", self.root / "loop")
        os.symlink("ping", self.root / "pong")
        os.symlink("pong", self.root / "ping")
        previous = "secrets"
        for index in range(MAX_SYMLINKS + 1):
            os.symlink(previous, self.root / f"chain{index}")
            previous = f"chain{index}"
        cases = [
            "../etc/passwd",
            "..",
            "../" + self.root.name + "/secrets/key",
            "secrets/../../x",
            "a/../../x",
            "/etc/passwd",
            str(self.root / "secrets" / "key"),
            "out/x.txt",
            "out",
            "passwd",
            "devnull",
            "up/x",
            "sub/deep-up",
            "absolute-dotdot",
            "prefix-sibling/x",
            "loop",
            "ping",
            f"chain{MAX_SYMLINKS}/key",
            "",
            "a\x00b",
            None,
            5,
        ]
        for requested in cases:
            with self.subTest(requested=requested):
                with self.assertRaises(PathRefused) as caught:
                    self.workspace.canonical(requested)
                message = str(caught.exception)
                self.assertNotIn("\n", message)
                self.assertIn(repr(requested), message)

    def test_forty_links_are_still_followed(self) -> None:
        previous = "secrets"
        for index in range(MAX_SYMLINKS):
            os.symlink(previous, self.root / f"chain{index}")
            previous = f"chain{index}"
        self.assertEqual(self.workspace.canonical(f"chain{MAX_SYMLINKS - 1}/key"), "secrets/key")

    def test_deep_paths_hold_one_fd_and_no_call_leaks_one(self) -> None:
        """A task can make paths hundreds of directories deep: resolving one must not exhaust the runtime's fds."""
        deep = "/".join(["d"] * 400)
        os.makedirs(self.root / deep)
        (self.root / deep / "f").write_text("deep")
        os.symlink(self.outside, self.root / "out")
        before = len(os.listdir("/proc/self/fd"))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (before + 20, hard))
        try:
            self.assertEqual(self.workspace.canonical(deep + "/f"), deep + "/f")
            self.assertEqual(self.workspace.canonical(deep + "/" + "/".join([".."] * 400) + "/secrets/key"), "secrets/key")
            os.close(self.workspace.open_regular(deep + "/f"))
            os.close(self.workspace.open_for_write(deep + "/g", append=False))
            os.close(self.workspace.open_directory(deep))
            for call in (lambda: self.workspace.canonical("out/x"), lambda: self.workspace.canonical(deep + "/missing/" + "/".join([".."] * 402)), lambda: self.workspace.open_regular("out/x.txt"), lambda: self.workspace.open_regular(deep)):
                with self.assertRaises(PathRefused):
                    call()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        self.assertEqual(len(os.listdir("/proc/self/fd")), before)

    def test_unsearchable_components_are_refused_not_raised(self) -> None:
        self.assertRaises(PathRefused, self.workspace.canonical, "x" * 300)
        self.assertRaises(PathRefused, self.workspace.canonical, "a/" + "y" * 300 + "/z")


class OpenTest(WorkspaceCase):
    def read(self, canonical: str) -> str:
        fd = self.workspace.open_regular(canonical)
        with os.fdopen(fd, "rb") as handle:
            return handle.read().decode()

    def write(self, canonical: str, data: str, append: bool = False) -> None:
        with os.fdopen(self.workspace.open_for_write(canonical, append), "wb") as handle:
            handle.write(data.encode())

    def test_read_write_list(self) -> None:
        self.assertEqual(self.read("secrets/key"), "inside")
        self.write("new/deeper/file.txt", "one")
        self.write("new/deeper/file.txt", "+two", append=True)
        self.assertEqual(self.read("new/deeper/file.txt"), "one+two")
        self.write("new/deeper/file.txt", "3")
        self.assertEqual(self.read("new/deeper/file.txt"), "3")
        self.assertTrue(stat.S_ISDIR(os.stat(self.root / "new" / "deeper").st_mode))
        umask = os.umask(0)
        os.umask(umask)
        self.assertEqual(stat.S_IMODE(os.stat(self.root / "new" / "deeper" / "file.txt").st_mode), 0o664 & ~umask)
        fd = self.workspace.open_directory("new")
        try:
            self.assertEqual(os.listdir(fd), ["deeper"])
        finally:
            os.close(fd)

    def test_the_root_directory_can_be_listed_again_and_again(self) -> None:
        for _ in range(3):
            fd = self.workspace.open_directory(".")
            try:
                self.assertEqual(sorted(os.listdir(fd)), ["a", "secrets", "sub"])
            finally:
                os.close(fd)

    def test_opening_takes_only_canonical_paths(self) -> None:
        for path in ["../x", "a/../secrets/key", "./secrets/key", "secrets//key", "secrets/key/", "/etc/passwd", "", "a\x00b", None]:
            for name, call in self.openers(path):
                with self.subTest(path=path, open=name), self.assertRaises(PathRefused):
                    call()
        self.assert_outside_untouched()

    def openers(self, path):
        return [("read", lambda: self.workspace.open_regular(path)), ("write", lambda: self.workspace.open_for_write(path, False)), ("append", lambda: self.workspace.open_for_write(path, True)), ("directory", lambda: self.workspace.open_directory(path))]

    def test_a_symlink_anywhere_on_the_way_is_refused(self) -> None:
        """What canonical() returned can be swapped for a symlink afterwards: opening never follows one."""
        os.symlink(self.outside, self.root / "out")
        os.symlink(self.outside / "x.txt", self.root / "leaf")
        os.symlink("secrets", self.root / "inside-link")
        (self.root / "a" / "b").mkdir()
        os.symlink(self.outside, self.root / "a" / "b" / "deep")
        for path in ["out/x.txt", "out/new.txt", "out/sub/new.txt", "leaf", "inside-link/key", "a/b/deep/x.txt", "a/b/deep"]:
            for name, call in self.openers(path):
                with self.subTest(path=path, open=name):
                    with self.assertRaises(PathRefused):
                        fd = call()
                        os.close(fd)
        self.assert_outside_untouched()
        self.assertEqual(os.readlink(self.root / "leaf"), str(self.outside / "x.txt"))

    def test_directories_are_not_files(self) -> None:
        for path in [".", "secrets"]:
            for name, call in self.openers(path)[:3]:
                with self.subTest(path=path, open=name), self.assertRaises(PathRefused):
                    call()

    def test_a_file_in_the_middle_is_not_a_directory(self) -> None:
        for name, call in self.openers("secrets/key/x"):
            with self.subTest(open=name), self.assertRaises((PathRefused, NotADirectoryError)):
                call()
        self.assertEqual((self.root / "secrets" / "key").read_text(), "inside")

    def test_closed_workspace_refuses(self) -> None:
        workspace = Workspace(self.root)
        workspace.close()
        workspace.close()
        self.assertRaises(PathRefused, workspace.canonical, "secrets/key")
        self.assertRaises(PathRefused, workspace.open_regular, "secrets/key")


class SpecialFilesTest(WorkspaceCase):
    """FIFOs, sockets and devices are refused for read and write, at once, and never opened or written."""

    def special_files(self):
        """(name, canonical path, cleanup) for each kind of non-regular file the task could put in the workspace."""
        os.mkfifo(self.root / "fifo-alone")
        yield "FIFO without writer or reader", "fifo-alone"

        os.mkfifo(self.root / "fifo-held")
        held = os.open(self.root / "fifo-held", os.O_RDWR | os.O_NONBLOCK)  # a reader and a writer at once
        self.addCleanup(os.close, held)
        yield "FIFO with a reader and a writer", "fifo-held"

        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(str(self.root / "socket"))
        listener.listen(1)
        yield "Unix socket", "socket"

        os.symlink("/dev/null", self.root / "dev-null-link")
        yield "symlink to /dev/null", "dev-null-link"
        os.symlink("/dev/zero", self.root / "a" / "zero")
        yield "symlink to /dev/zero in a directory", "a/zero"

        if os.geteuid() == 0:
            try:
                os.mknod(self.root / "null-device", stat.S_IFCHR | 0o666, os.makedev(1, 3))
                os.mknod(self.root / "zero-device", stat.S_IFCHR | 0o666, os.makedev(1, 5))
            except PermissionError:
                pass  # no CAP_MKNOD (as in the image): devices cannot appear in the workspace at all
            else:
                yield "character device (null)", "null-device"
                yield "character device (zero)", "zero-device"

    def test_read_and_write_refuse_without_blocking(self) -> None:
        for kind, path in self.special_files():
            for mode in ("read", "write", "append"):
                with self.subTest(kind=kind, mode=mode):
                    started = time.monotonic()
                    call = (lambda: self.workspace.open_regular(path)) if mode == "read" else (lambda: self.workspace.open_for_write(path, mode == "append"))
                    with self.assertRaises(PathRefused) as caught:
                        returns_within(self, 5, call)
                    self.assertLess(time.monotonic() - started, 2)
                    self.assertIn(repr(path), str(caught.exception))

    def test_a_fifo_with_a_waiting_reader_receives_nothing(self) -> None:
        os.mkfifo(self.root / "fifo")
        reader = os.open(self.root / "fifo", os.O_RDONLY | os.O_NONBLOCK)
        self.addCleanup(os.close, reader)
        for append in (False, True):
            with self.subTest(append=append), self.assertRaises(PathRefused):
                returns_within(self, 5, lambda: self.workspace.open_for_write("fifo", append))
        # No writer ever opened it: a read returns end-of-file, not data.
        self.assertEqual(os.read(reader, 100), b"")

    def test_a_fifo_swapped_in_after_the_check_is_still_refused(self) -> None:
        """The last line of defence is the fstat after an O_NONBLOCK open, when the stat before it saw a regular file."""
        os.mkfifo(self.root / "fifo")
        real_stat = os.stat

        def stat_sees_a_file(path, *args, **kwargs):
            if path == "fifo":
                return real_stat(self.root / "secrets" / "key")
            return real_stat(path, *args, **kwargs)

        os.stat = stat_sees_a_file
        try:
            for mode in ("read", "write", "append"):
                with self.subTest(mode=mode), self.assertRaises(PathRefused):
                    returns_within(self, 5, (lambda: self.workspace.open_regular("fifo")) if mode == "read" else (lambda: self.workspace.open_for_write("fifo", mode == "append")))
            reader = os.open(self.root / "fifo", os.O_RDONLY | os.O_NONBLOCK)
            try:
                with self.subTest(mode="write with a reader"), self.assertRaises(PathRefused):
                    returns_within(self, 5, lambda: self.workspace.open_for_write("fifo", False))
                self.assertEqual(os.read(reader, 100), b"")
            finally:
                os.close(reader)
        finally:
            os.stat = real_stat


EXCHANGE = """
import ctypes, os

_libc = ctypes.CDLL(None, use_errno=True)


def exchange(a, b):
    \"\"\"Atomically swaps two names (renameat2 RENAME_EXCHANGE): the path is never missing, only ever one or the other.\"\"\"
    if _libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), 2) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
"""
exec(EXCHANGE)

SWAPPER_PROCESS = EXCHANGE + """
import sys
root, outside, stop = sys.argv[1:4]
swap, link = os.path.join(root, "swap"), os.path.join(root, "swap-link")
os.symlink(outside, link)
while not os.path.exists(stop):
    exchange(swap, link)
exchange(swap, link) if os.path.islink(swap) else None
os.unlink(link)
"""


class RaceTest(WorkspaceCase):
    """A directory swapped between a real directory and a symlink to outside while the runtime reads, writes and lists through it."""

    ROUNDS = 2000

    def setUp(self) -> None:
        super().setUp()
        (self.root / "swap").mkdir()
        (self.root / "swap" / "x.txt").write_text("inside")
        (self.outside / "only-outside").write_text(SECRET)
        self.assertEqual(self.workspace.canonical("swap/x.txt"), "swap/x.txt")
        self.swap, self.link, self.stash = self.root / "swap", self.root / "swap-link", self.root / "stash"
        try:
            os.symlink(self.outside, self.link)
            exchange(self.swap, self.link)
            exchange(self.swap, self.link)
            self.exchange_works = True
        except OSError:
            self.exchange_works = False  # the file system has no RENAME_EXCHANGE: only the gap swapper runs
        finally:
            os.unlink(self.link)

    def in_thread(self, swap_once):
        stop = threading.Event()
        errors: list[BaseException] = []

        def swapper() -> None:
            try:
                while not stop.is_set():
                    swap_once()
            except BaseException as error:
                errors.append(error)

        thread = threading.Thread(target=swapper, daemon=True)
        thread.start()

        def finish() -> None:
            stop.set()
            thread.join(10)
            self.assertEqual(errors, [])

        return finish

    def exchanging_thread(self):
        os.symlink(self.outside, self.link)

        def swap_once() -> None:
            exchange(self.swap, self.link)
            exchange(self.swap, self.link)

        finish = self.in_thread(swap_once)

        def finish_and_restore() -> None:
            finish()
            os.unlink(self.link)

        return finish_and_restore

    def gap_thread(self):
        """Renames with a gap in which 'swap' does not exist (a write may then create it: the swapper puts things back)."""

        def restore() -> None:
            for _ in range(1000):
                try:
                    if os.path.lexists(self.link):
                        os.unlink(self.link)
                    if os.path.lexists(self.stash):
                        if os.path.islink(self.swap):
                            os.unlink(self.swap)
                        elif os.path.isdir(self.swap):
                            shutil.rmtree(self.swap)
                        os.rename(self.stash, self.swap)
                    return
                except OSError:
                    continue
            raise AssertionError("could not restore the swapped directory")

        def swap_once() -> None:
            try:
                os.symlink(self.outside, self.link)
                os.rename(self.swap, self.stash)
                os.rename(self.link, self.swap)
                os.unlink(self.swap)
                os.rename(self.stash, self.swap)
            except OSError:
                restore()

        return self.in_thread(swap_once)

    def exchanging_process(self):
        stop = self.root.parent / (self.root.name + ".stop")
        process = subprocess.Popen([sys.executable, "-c", SWAPPER_PROCESS, str(self.root), str(self.outside), str(stop)])

        def finish() -> None:
            stop.touch()
            self.assertEqual(process.wait(10), 0)
            stop.unlink()

        return finish

    def test_nothing_outside_is_ever_read_written_or_listed(self) -> None:
        swappers = [self.gap_thread] + ([self.exchanging_thread, self.exchanging_process] if self.exchange_works else [])
        for swapper in swappers:
            with self.subTest(swapper=swapper.__name__):
                finish = swapper()
                counts = {"read": 0, "written": 0, "listed": 0, "refused": 0, "missing": 0}
                try:
                    for index in range(self.ROUNDS):
                        try:
                            fd = self.workspace.open_regular("swap/x.txt")
                            with os.fdopen(fd, "rb") as handle:
                                content = handle.read().decode()
                            self.assertEqual(content, "inside")
                            counts["read"] += 1
                        except PathRefused:
                            counts["refused"] += 1
                        except FileNotFoundError:
                            counts["missing"] += 1
                        try:
                            fd = self.workspace.open_for_write(f"swap/new-{index}.txt", append=index % 2 == 1)
                            os.write(fd, SECRET.encode())
                            os.close(fd)
                            counts["written"] += 1
                        except PathRefused:
                            counts["refused"] += 1
                        except FileNotFoundError:
                            counts["missing"] += 1
                        try:
                            fd = self.workspace.open_directory("swap")
                            try:
                                names = os.listdir(fd)
                            finally:
                                os.close(fd)
                            self.assertNotIn("only-outside", names)
                            counts["listed"] += 1
                        except PathRefused:
                            counts["refused"] += 1
                        except FileNotFoundError:
                            counts["missing"] += 1
                finally:
                    finish()
                self.assertEqual(sorted(p.name for p in self.outside.iterdir()), ["only-outside", "x.txt"])
                self.assertEqual((self.outside / "x.txt").read_text(), SECRET)
                # The race was real: some attempts met the symlink or the gap, some got through.
                self.assertGreater(counts["refused"] + counts["missing"], 0, counts)
                self.assertGreater(counts["read"] + counts["written"] + counts["listed"], 0, counts)
                for path in (self.root / "swap").iterdir():
                    self.assertIn(path.name, {"x.txt"} | {f"new-{i}.txt" for i in range(self.ROUNDS)})


if __name__ == "__main__":
    unittest.main()

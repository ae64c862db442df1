import os
import tempfile
import unittest
from pathlib import Path

from agent.workspace import PathRefused, confine


class ConfineTest(unittest.TestCase):
    def setUp(self) -> None:
        self.root = Path(tempfile.mkdtemp()).resolve()
        (self.root / "src").mkdir()
        (self.root / "src" / "a.txt").write_text("a")
        self.outside = Path(tempfile.mkdtemp()).resolve()

    def test_paths_inside_resolve(self) -> None:
        self.assertEqual(confine(self.root, "src/a.txt"), self.root / "src" / "a.txt")
        self.assertEqual(confine(self.root, "."), self.root)
        self.assertEqual(confine(self.root, "new/dir/file.txt"), self.root / "new" / "dir" / "file.txt")
        os.symlink("src/a.txt", self.root / "inside-link")
        self.assertEqual(confine(self.root, "inside-link"), self.root / "src" / "a.txt")

    def test_escapes_are_refused(self) -> None:
        os.symlink(self.outside, self.root / "out")
        os.symlink("/etc/passwd", self.root / "passwd")
        for path in ["../etc/passwd", "src/../../x", "/etc/passwd", "out/x.txt", "passwd", "", "a\x00b"]:
            with self.subTest(path=path), self.assertRaises(PathRefused):
                confine(self.root, path)


if __name__ == "__main__":
    unittest.main()

"""Node.js and npm in the image: a script, and `npm ci` from vendored packages with no registry."""

import json
import subprocess
import tarfile
import tempfile
import unittest
from io import BytesIO
from pathlib import Path


def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)


def vendored_package(target: Path) -> str:
    """An npm package tarball made here (package/ prefix, as npm pack writes it); returns its sha512 integrity."""
    import base64
    import hashlib

    files = {
        "package/package.json": json.dumps({"name": "left-pad-local", "version": "1.0.0", "main": "index.js"}),
        "package/index.js": "module.exports = (s, n, c = ' ') => String(s).padStart(n, c);\n",
    }
    buffer = BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, BytesIO(data))
    target.write_bytes(buffer.getvalue())
    return "sha512-" + base64.b64encode(hashlib.sha512(buffer.getvalue()).digest()).decode()


class NodeTest(unittest.TestCase):
    def test_runs_a_script(self) -> None:
        work = Path(tempfile.mkdtemp(dir="/workspace"))
        (work / "hello.js").write_text("console.log(JSON.stringify({ sum: [1, 2, 3].reduce((a, b) => a + b), node: process.versions.node.split('.')[0] }))\n")
        result = run("node", "hello.js", cwd=work)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["sum"], 6)

    def test_npm_ci_installs_vendored_dependencies_offline(self) -> None:
        project = Path(tempfile.mkdtemp(dir="/workspace"))
        (project / "vendor").mkdir()
        integrity = vendored_package(project / "vendor" / "left-pad-local-1.0.0.tgz")
        dependency = "file:vendor/left-pad-local-1.0.0.tgz"
        (project / "package.json").write_text(json.dumps({"name": "app", "version": "1.0.0", "dependencies": {"left-pad-local": dependency}}))
        lock = {
            "name": "app",
            "version": "1.0.0",
            "lockfileVersion": 3,
            "requires": True,
            "packages": {
                "": {"name": "app", "version": "1.0.0", "dependencies": {"left-pad-local": dependency}},
                "node_modules/left-pad-local": {"version": "1.0.0", "resolved": dependency, "integrity": integrity},
            },
        }
        (project / "package-lock.json").write_text(json.dumps(lock))
        installed = run("npm", "ci", "--offline", "--no-audit", "--no-fund", cwd=project)
        self.assertEqual(installed.returncode, 0, installed.stdout + installed.stderr)
        used = run("node", "-e", "console.log(require('left-pad-local')('7', 3, '0'))", cwd=project)
        self.assertEqual(used.stdout.strip(), "007")

    def test_dpkg_stays_consistent_for_images_built_from_this_one(self) -> None:
        # node-gyp's Depends on libnode-dev is met by a stub package (see the Dockerfile). apt-get check fails on any
        # unmet dependency, which would stop an image FROM this one from installing Debian packages; with locking off
        # it needs no root.
        check = run("apt-get", "check", "-o", "Debug::NoLocking=1", cwd=Path("/"))
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)


if __name__ == "__main__":
    unittest.main()

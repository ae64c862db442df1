"""Every module the image advertises imports, with every compiled extension under it, as the agent user.

The list is advertised-modules.txt beside this file. The image leaves out what only builds: the compilers and headers
Debian's python3-scipy would pull in through python3-pythran, and the packages' own test suites (see the Dockerfile).
Loading every extension module shows that no shared library or module they need at run time went with them.
"""

import importlib
import shutil
import subprocess
import unittest
import warnings
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

ADVERTISED = Path(__file__).with_name("advertised-modules.txt")


def advertised_modules() -> list[str]:
    names = [line.split("#", 1)[0].strip() for line in ADVERTISED.read_text(encoding="utf-8").splitlines()]
    return [name for name in names if name]


def extension_modules(package) -> list[str]:
    """Dotted names of the compiled extension modules under an imported package."""
    root = Path(package.__file__).parent
    names = []
    for path in sorted(root.rglob("*.so")):
        suffix = next((s for s in EXTENSION_SUFFIXES if path.name.endswith(s)), None)
        if suffix:
            relative = path.relative_to(root).as_posix()[: -len(suffix)]
            names.append(".".join([package.__name__, *relative.split("/")]))
    return names


class AdvertisedModulesTest(unittest.TestCase):
    def test_every_advertised_module_imports(self) -> None:
        modules = advertised_modules()
        self.assertIn("numpy", modules)
        for name in modules:
            with self.subTest(module=name):
                importlib.import_module(name)

    def test_every_compiled_extension_of_them_loads(self) -> None:
        loaded = 0
        for name in advertised_modules():
            for extension in extension_modules(importlib.import_module(name)):
                with self.subTest(extension=extension), warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # scipy's own deprecation examples
                    importlib.import_module(extension)
                    loaded += 1
        self.assertGreater(loaded, 100)

    def test_numpy_uses_openblas(self) -> None:
        from threadpoolctl import threadpool_info

        self.assertIn("openblas", {library["internal_api"] for library in threadpool_info()})

    def test_build_tools_stay_out_and_dpkg_stays_consistent(self) -> None:
        self.assertEqual([tool for tool in ("gcc", "g++", "cc", "c++") if shutil.which(tool)], [])
        # apt-get check needs no root with locking off; it fails on any unmet dependency, which would stop an image
        # built FROM this one from installing Debian packages.
        check = subprocess.run(["apt-get", "check", "-o", "Debug::NoLocking=1"], capture_output=True, text=True, timeout=120)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)


if __name__ == "__main__":
    unittest.main()

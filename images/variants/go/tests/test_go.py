"""Go in the image: build and run a module with no outside dependencies, offline, caches writable by the agent."""

import os
import subprocess
import tempfile
import unittest
from pathlib import Path


class GoTest(unittest.TestCase):
    def test_builds_and_runs_a_module_offline(self) -> None:
        self.assertEqual(os.environ.get("GOPROXY"), "off")
        module = Path(tempfile.mkdtemp(dir="/workspace"))
        (module / "go.mod").write_text("module example.com/hello\n\ngo 1.19\n")
        (module / "main.go").write_text('package main\n\nimport (\n\t"fmt"\n\t"strings"\n)\n\nfunc main() { fmt.Println(strings.ToUpper("hello from go")) }\n')
        built = subprocess.run(["go", "build", "-o", "hello", "."], cwd=module, capture_output=True, text=True, timeout=300)
        self.assertEqual(built.returncode, 0, built.stderr)
        ran = subprocess.run([str(module / "hello")], capture_output=True, text=True, timeout=30)
        self.assertEqual(ran.stdout.strip(), "HELLO FROM GO")
        self.assertTrue(Path(os.environ["GOCACHE"]).is_dir())

    def test_go_run_works_where_tmp_is_noexec(self) -> None:
        module = Path(tempfile.mkdtemp(dir="/workspace"))
        (module / "go.mod").write_text("module example.com/run\n\ngo 1.19\n")
        (module / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("ran") }\n')
        ran = subprocess.run(["go", "run", "."], cwd=module, capture_output=True, text=True, timeout=300)
        self.assertEqual((ran.returncode, ran.stdout.strip()), (0, "ran"), ran.stderr)
        self.assertEqual(os.environ["GOTMPDIR"], "/workspace")

    def test_go_test_and_vet_run_a_modules_tests(self) -> None:
        # The image leaves out what only builds or tests Go itself; testing and vetting the agent's own code must not
        # miss it.
        module = Path(tempfile.mkdtemp(dir="/workspace"))
        (module / "go.mod").write_text("module example.com/sum\n\ngo 1.19\n")
        (module / "sum.go").write_text("package sum\n\nfunc Sum(xs ...int) (t int) {\n\tfor _, x := range xs {\n\t\tt += x\n\t}\n\treturn t\n}\n")
        (module / "sum_test.go").write_text('package sum\n\nimport "testing"\n\nfunc TestSum(t *testing.T) {\n\tif Sum(1, 2, 3) != 6 {\n\t\tt.Fatal("wrong sum")\n\t}\n}\n')
        tested = subprocess.run(["go", "test", "-cover", "./..."], cwd=module, capture_output=True, text=True, timeout=300)
        self.assertEqual(tested.returncode, 0, tested.stdout + tested.stderr)
        self.assertIn("coverage: 100.0% of statements", tested.stdout)
        (module / "print.go").write_text('package sum\n\nimport "fmt"\n\nfunc Show() { fmt.Printf("%d\\n", "not a number") }\n')
        vetted = subprocess.run(["go", "vet", "./..."], cwd=module, capture_output=True, text=True, timeout=300)
        self.assertNotEqual(vetted.returncode, 0)
        self.assertIn("Printf format %d has arg", vetted.stderr)

    def test_a_module_that_needs_the_network_fails_clearly(self) -> None:
        module = Path(tempfile.mkdtemp(dir="/workspace"))
        (module / "go.mod").write_text("module example.com/needsnet\n\ngo 1.19\n\nrequire example.com/missing v1.0.0\n")
        (module / "main.go").write_text('package main\n\nimport _ "example.com/missing"\n\nfunc main() {}\n')
        built = subprocess.run(["go", "build", "."], cwd=module, capture_output=True, text=True, timeout=120)
        self.assertNotEqual(built.returncode, 0)
        self.assertIn("GOPROXY=off", built.stderr)


if __name__ == "__main__":
    unittest.main()

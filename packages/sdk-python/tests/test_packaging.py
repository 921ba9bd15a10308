import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile
from pathlib import Path

from harness import PACKAGE

sys.path.insert(0, str(PACKAGE / "_build"))
import tidebase_build  # noqa: E402


def has_pip() -> bool:
    return subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0


class PackagingTest(unittest.TestCase):
    def test_the_wheel_holds_the_typed_package_and_a_record_of_every_file(self):
        with tempfile.TemporaryDirectory() as out:
            name = tidebase_build.build_wheel(out)
            self.assertEqual(name, "tidebase-0.1.0-py3-none-any.whl")
            with zipfile.ZipFile(Path(out, name)) as wheel:
                names = wheel.namelist()
                record = wheel.read("tidebase-0.1.0.dist-info/RECORD").decode()
                metadata = wheel.read("tidebase-0.1.0.dist-info/METADATA").decode()
        self.assertIn("tidebase/py.typed", names)
        self.assertIn("tidebase/aio/__init__.py", names)
        self.assertFalse([n for n in names if "__pycache__" in n])
        self.assertEqual(sorted(line.split(",")[0] for line in record.splitlines()), sorted(names))
        self.assertIn("Requires-Python: >=3.10", metadata)
        self.assertNotIn("Requires-Dist", metadata, "no runtime dependencies")

    def test_the_sdist_carries_the_backend_so_it_builds_anywhere(self):
        with tempfile.TemporaryDirectory() as out:
            name = tidebase_build.build_sdist(out)
            with tarfile.open(Path(out, name)) as sdist:
                names = sdist.getnames()
        self.assertIn("tidebase-0.1.0/_build/tidebase_build.py", names)
        self.assertIn("tidebase-0.1.0/pyproject.toml", names)
        self.assertIn("tidebase-0.1.0/PKG-INFO", names)

    def test_pip_installs_the_package_without_reaching_any_index(self):
        if not has_pip():
            self.skipTest("pip is not available")
        with tempfile.TemporaryDirectory() as target:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "install", "--no-index", "--no-cache-dir", "--target", target, str(PACKAGE)],
                capture_output=True,
                text=True,
            )
            self.assertEqual(done.returncode, 0, done.stderr)
            check = subprocess.run(
                [sys.executable, "-c", "import tidebase, tidebase.aio; print(tidebase.__version__, tidebase.__file__)"],
                cwd=target,
                capture_output=True,
                text=True,
                env={"PYTHONPATH": target, "PATH": ""},
            )
            self.assertEqual(check.returncode, 0, check.stderr)
            self.assertTrue(check.stdout.startswith("0.1.0 " + target))


if __name__ == "__main__":
    unittest.main()

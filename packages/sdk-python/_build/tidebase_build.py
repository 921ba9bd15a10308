"""A PEP 517 build backend with the standard library only, so `pip install` needs no download (no setuptools).

Builds a pure-Python wheel of `src/tidebase`, an sdist, and an editable wheel (PEP 660, a .pth file).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tidebase"
SDIST_PARTS = ("pyproject.toml", "README.md", "_build", "src", "tests")


def _project() -> Dict[str, str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib

        table = tomllib.loads(text)["project"]
        return {k: v for k, v in table.items() if isinstance(v, str)}
    except ImportError:  # Python 3.10: the few flat string keys the backend reads
        section = text.split("[project]", 1)[1].split("\n[", 1)[0]
        return dict(re.findall(r'^([A-Za-z-]+)\s*=\s*"([^"]*)"', section, re.M))


def _names() -> Tuple[str, str, str]:
    project = _project()
    name, version = project["name"], project["version"]
    return name, version, f"{name.replace('-', '_')}-{version}"


def _metadata() -> str:
    project = _project()
    readme = (ROOT / project.get("readme", "README.md")).read_text(encoding="utf-8")
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
        f"Requires-Python: {project.get('requires-python', '>=3.10')}",
        "License: Apache-2.0",
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: Typing :: Typed",
        "Description-Content-Type: text/markdown",
    ]
    return "\n".join(lines) + "\n\n" + readme


def _wheel_file() -> str:
    return "Wheel-Version: 1.0\nGenerator: tidebase_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files() -> Iterator[Tuple[str, bytes]]:
    src = ROOT / "src"
    for path in sorted((src / PACKAGE).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path.relative_to(src).as_posix(), path.read_bytes()


def _dist_info(dist: str) -> List[Tuple[str, bytes]]:
    info = f"{dist}.dist-info"
    return [
        (f"{info}/METADATA", _metadata().encode("utf-8")),
        (f"{info}/WHEEL", _wheel_file().encode("utf-8")),
        (f"{info}/top_level.txt", f"{PACKAGE}\n".encode("utf-8")),
    ]


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def _timestamp() -> Tuple[int, int, int, int, int, int]:
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
    return time.gmtime(max(epoch, 315532800))[:6]


def _write_wheel(directory: str, files: List[Tuple[str, bytes]]) -> str:
    _, _, dist = _names()
    filename = f"{dist}-py3-none-any.whl"
    entries = files + _dist_info(dist)
    record_name = f"{dist}.dist-info/RECORD"
    record = "".join(f"{name},{_digest(data)},{len(data)}\n" for name, data in entries) + f"{record_name},,\n"
    stamp = _timestamp()
    with zipfile.ZipFile(os.path.join(directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in entries + [(record_name, record.encode("utf-8"))]:
            info = zipfile.ZipInfo(name, stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    return filename


def get_requires_for_build_wheel(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[dict] = None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: Optional[dict] = None) -> str:
    _, _, dist = _names()
    for name, data in _dist_info(dist):
        target = Path(metadata_directory) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return f"{dist}.dist-info"


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None) -> str:
    return _write_wheel(wheel_directory, list(_package_files()))


def build_editable(wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None) -> str:
    """The package stays in the tree: a .pth file puts `src` on sys.path."""
    return _write_wheel(wheel_directory, [(f"_{PACKAGE}_editable.pth", f"{ROOT / 'src'}\n".encode("utf-8"))])


def build_sdist(sdist_directory: str, config_settings: Optional[dict] = None) -> str:
    _, _, dist = _names()
    filename = f"{dist}.tar.gz"
    stamp = int(time.mktime(time.struct_time(_timestamp() + (0, 0, -1))))

    def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(f"{dist}/{name}")
        info.size, info.mtime, info.mode = len(data), stamp, 0o644
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for part in SDIST_PARTS:
            path = ROOT / part
            paths = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for file in paths:
                if "__pycache__" not in file.parts and file.suffix != ".pyc":
                    add(tar, file.relative_to(ROOT).as_posix(), file.read_bytes())
        add(tar, "PKG-INFO", _metadata().encode("utf-8"))
    return filename

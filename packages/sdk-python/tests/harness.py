"""A real Tidebase server for the tests: TIDEBASE_TEST_URL when set, else one started here (once per test process).

Started here, it gets a fresh database on the Postgres at 127.0.0.1:5432 when one answers
(created with psql, dropped afterwards), else (or with TIDEBASE_TEST_EMBEDDED=1) its embedded
Postgres in a temporary data dir.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Callable, Dict, List, Optional, TypeVar

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
REPO = PACKAGE.parent.parent
sys.path.insert(0, str(PACKAGE / "src"))

T = TypeVar("T")
WEBHOOK_SECRET_DEFAULT = "python-sdk-test-secret"
_server: Dict[str, str] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_url() -> str:
    """The server every test talks to."""
    if "url" not in _server:
        given = os.environ.get("TIDEBASE_TEST_URL")
        if given:
            _server["url"] = given.rstrip("/")
            _server["secret"] = os.environ.get("TIDEBASE_TEST_WEBHOOK_SECRET", "")
        else:
            _server["url"] = _start_server()
            _server["secret"] = WEBHOOK_SECRET_DEFAULT
    return _server["url"]


def webhook_secret() -> str:
    """The secret the server signs webhooks with; empty when a given server did not say."""
    server_url()
    return _server["secret"]


def _postgres_answers() -> bool:
    if os.environ.get("TIDEBASE_TEST_EMBEDDED") == "1" or shutil.which("psql") is None:
        return False
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def _psql(sql: str) -> bool:
    done = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", sql], capture_output=True, text=True)
    return done.returncode == 0


def _start_server() -> str:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "TIDEBASE_ACCESS_LOG": "false",
        "TIDEBASE_WEBHOOK_SECRET": WEBHOOK_SECRET_DEFAULT,
        "TIDEBASE_WEBHOOK_RETRY_MS": "200",
    }
    env.pop("TIDEBASE_API_KEY", None)
    data_dir = tempfile.mkdtemp(prefix="tidebase-py-")
    database = f"tidebase_py_{uuid.uuid4().hex[:12]}"
    if _postgres_answers() and _psql(f"create database {database}"):
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    else:
        database = ""
        os.chmod(data_dir, 0o755)
        env.pop("DATABASE_URL", None)
        env["TIDEBASE_DATA_DIR"] = data_dir
    log = open(os.path.join(data_dir, "server.log"), "wb")
    process = subprocess.Popen(
        ["node", "--import", "tsx", "packages/cli/src/bin.ts", "start"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )

    def stop() -> None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if database:
            _psql(f"drop database if exists {database} with (force)")
        shutil.rmtree(data_dir, ignore_errors=True)

    atexit.register(stop)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test server exited: {Path(data_dir, 'server.log').read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if json.load(answer).get("ok"):
                    return url
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the test server did not answer GET /health within 180 s")


def new_run_id(prefix: str = "py") -> str:
    return f"{prefix}-{uuid.uuid4()}"


def http(method: str, path: str, body: Optional[object] = None) -> object:
    """Plain HTTP as any client speaks it, for setting up what the SDK under test must meet."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(server_url() + path, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def wait_until(check: Callable[[], Optional[T]], timeout_s: float = 20.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def node_input_hashes(values: List[object]) -> Optional[List[str]]:
    """The TypeScript domain's inputHash of each value, computed by node; None when node cannot run it here."""
    script = (
        "import { inputHash } from './packages/domain/src/InputHash.ts';"
        "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
        "console.log(JSON.stringify(JSON.parse(s).map(v=>inputHash(v)))))"
    )
    if shutil.which("node") is None or not (REPO / "packages/domain/src/InputHash.ts").exists():
        return None
    done = subprocess.run(
        ["node", "--import", "tsx", "--input-type=module", "-e", script],
        cwd=REPO,
        input=json.dumps(values),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return None
    return json.loads(done.stdout)

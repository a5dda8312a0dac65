"""Shared fixtures for the Python end-to-end tests of Lakebox.

These tests drive a real Lakebox process with real, unmodified clients
(boto3 and the aws CLI v1 from the same virtualenv).  Nothing here talks to
AWS: every request goes to the Lakebox started by these fixtures on
127.0.0.1.

Contract with the binary (see the brief in the repository docs):

* ``$LAKEBOX_BIN serve --host 127.0.0.1 --port 0 --data-dir DIR`` prints one
  stdout line containing ``listening on http://127.0.0.1:PORT`` when ready;
  logs go to stderr; SIGTERM stops it.
* ``GET /_lakebox/health`` answers 200 ``{"status": "ok", "version": ...}``.
* Any SigV4 credentials are accepted.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
LISTENING_RE = re.compile(r"listening on (http://\S+)")

# No client-side retries anywhere: an emulator must answer right the first
# time, and a retried 500 would otherwise hide a server bug.
BOTO_CONFIG = Config(
    region_name=REGION,
    retries={"mode": "standard", "total_max_attempts": 1},
    connect_timeout=10,
    read_timeout=60,
    max_pool_connections=32,
)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: moves tens of MB or thousands of objects; runs by default, "
        "deselect with -m 'not slow'",
    )


# --------------------------------------------------------------------------
# Small helpers importable from the test modules (``from conftest import ...``)
# --------------------------------------------------------------------------


def unique_name(prefix: str = "t") -> str:
    """A lower-case, catalog-safe name that no other test uses.

    Glue folds database and table names to lower case, so generated names are
    lower case already; tests that exercise folding add upper case on purpose.
    """
    return f"{prefix.lower()}_{uuid.uuid4().hex[:12]}"


def lakebox_bin() -> str:
    path = os.environ.get("LAKEBOX_BIN")
    if not path:
        pytest.fail(
            "LAKEBOX_BIN is not set: point it at the lakebox binary, e.g.\n"
            "  LAKEBOX_BIN=/root/.cache/lakebox/target/debug/lakebox pytest tests/python",
            pytrace=False,
        )
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"LAKEBOX_BIN={path!r} is not an executable file", pytrace=False)
    return path


def make_glue_client(endpoint: str):
    return boto3.client(
        "glue",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=BOTO_CONFIG,
    )


def make_athena_client(endpoint: str):
    return boto3.client(
        "athena",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=BOTO_CONFIG,
    )


# S3 needs path-style addressing against 127.0.0.1.  Retries stay off: in
# botocore ``max_attempts`` counts *retries* (max_attempts=1 would still retry
# once), so ``total_max_attempts=1`` (inherited from BOTO_CONFIG) is what
# really means "answer right the first time".
S3_CONFIG = BOTO_CONFIG.merge(Config(s3={"addressing_style": "path"}))


def make_s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=S3_CONFIG,
    )


def unique_bucket_name(prefix: str = "lb") -> str:
    """A valid S3 bucket name (3-63 chars of [a-z0-9-]) that no other test uses."""
    return f"{prefix.lower()}-{uuid.uuid4().hex[:16]}"


def delete_bucket_recursive(s3, bucket: str) -> None:
    """Best-effort cleanup: abort uploads, delete every object, delete the bucket."""
    from botocore.exceptions import ClientError

    try:
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
            for up in page.get("Uploads", []):
                s3.abort_multipart_upload(Bucket=bucket, Key=up["Key"], UploadId=up["UploadId"])
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        s3.delete_bucket(Bucket=bucket)
    except ClientError:
        pass


class LakeboxProcess:
    """One running ``lakebox serve`` child process."""

    def __init__(self, data_dir: Path, log_path: Path):
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.proc: subprocess.Popen | None = None
        self.endpoint: str | None = None
        self._stdout_lines: list[str] = []
        self._log_file = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> "LakeboxProcess":
        binary = lakebox_bin()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "ab")
        env = dict(os.environ)
        env.setdefault("RUST_BACKTRACE", "1")
        self.proc = subprocess.Popen(
            [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", str(self.data_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            env=env,
        )
        found: dict[str, str] = {}
        ready = threading.Event()

        def pump() -> None:
            # Keep draining stdout for the life of the process so that the
            # child can never block on a full pipe.
            assert self.proc is not None and self.proc.stdout is not None
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self._stdout_lines.append(line)
                m = LISTENING_RE.search(line)
                if m and not ready.is_set():
                    found["endpoint"] = m.group(1).rstrip("/")
                    ready.set()
            ready.set()  # EOF: the process is gone

        threading.Thread(target=pump, name="lakebox-stdout", daemon=True).start()
        if not ready.wait(STARTUP_TIMEOUT_S) or "endpoint" not in found:
            self.kill()
            raise RuntimeError(
                f"lakebox did not print 'listening on http://...' within {STARTUP_TIMEOUT_S}s "
                f"(exit code {self.proc.returncode}).\nstdout:\n"
                + "\n".join(self._stdout_lines[-20:])
                + "\nstderr tail:\n"
                + self.log_tail()
            )
        self.endpoint = found["endpoint"]
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        last_err: Exception | None = None
        while time.monotonic() < deadline:
            try:
                status, body = http_get_json(self.endpoint + "/_lakebox/health")
                if status == 200 and body.get("status") == "ok":
                    return
                last_err = RuntimeError(f"health answered {status} {body!r}")
            except (OSError, ValueError) as e:  # connection refused, bad JSON...
                last_err = e
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"lakebox never became healthy: {last_err}\nstderr tail:\n{self.log_tail()}")

    def terminate(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM and wait; escalate to SIGKILL if it does not stop in time."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
            raise AssertionError(f"lakebox did not stop within {timeout}s of SIGTERM")
        finally:
            self._close_log()

    def kill(self) -> None:
        """SIGKILL (like ``kill -9``): no chance to flush or clean up."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(STOP_TIMEOUT_S)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    # -- conveniences ------------------------------------------------------

    def glue(self):
        assert self.endpoint, "lakebox is not running"
        return make_glue_client(self.endpoint)

    def s3(self):
        assert self.endpoint, "lakebox is not running"
        return make_s3_client(self.endpoint)

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text("utf-8", "replace").splitlines()
        except OSError:
            return "<no log>"
        return "\n".join(lines[-n:])


def http_get_json(url: str, timeout: float = 5.0) -> tuple[int, Any]:
    req = urllib.request.Request(url, method="GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, body.decode("utf-8", "replace")


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"RawResponse({self.status}, {self.headers!r}, {self.body[:500]!r})"


def raw_glue_request(
    endpoint: str,
    target: str,
    body: bytes | str,
    content_type: str = "application/x-amz-json-1.1",
    sign: bool = True,
) -> RawResponse:
    """POST one AWS JSON 1.1 request to ``endpoint`` with urllib, SigV4-signed.

    ``target`` is the full ``X-Amz-Target`` value, e.g. ``AWSGlue.GetDatabase``.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    url = endpoint.rstrip("/") + "/"
    headers = {"X-Amz-Target": target, "Content-Type": content_type}
    if sign:
        aws_req = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "glue", REGION).add_auth(aws_req)
        headers = dict(aws_req.headers.items())
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return RawResponse(resp.status, dict(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as e:
        return RawResponse(e.code, dict(e.headers.items()), e.read())


def aws_cli_path() -> Path:
    """The aws CLI (v1) installed next to the running interpreter."""
    path = Path(sys.executable).parent / "aws"
    if not path.exists():
        pytest.fail(f"aws CLI not found at {path} (install awscli into this venv)", pytrace=False)
    return path


def run_aws_cli(endpoint: str, *args: str, timeout: float = 120) -> Any:
    """Run ``aws <args> --output json`` against ``endpoint``.

    Returns the parsed JSON output (``{}`` when the command prints nothing) on
    success, or the ``subprocess.CompletedProcess`` when the CLI exits
    non-zero, so tests can assert on its ``returncode``/``stderr``.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") or k in ("AWS_CA_BUNDLE",)
    }
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION=REGION,
        # Keep the user's ~/.aws out of the picture, and never retry.
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_RETRY_MODE="standard",
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    )
    cmd = [str(aws_cli_path()), *args, "--output", "json"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        return proc
    out = proc.stdout.strip()
    return json.loads(out) if out else {}


def aws_cli_env(endpoint: str) -> dict[str, str]:
    """The environment ``run_aws_cli`` gives the CLI (isolated from ~/.aws, no retries)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") or k in ("AWS_CA_BUNDLE",)
    }
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_RETRY_MODE="standard",
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    )
    return env


def run_aws_cli_text(endpoint: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run ``aws <args>`` as is (no ``--output json``; ``aws s3 ...`` prints text).

    Returns the ``CompletedProcess`` whatever the exit code.
    """
    cmd = [str(aws_cli_path()), *args]
    return subprocess.run(cmd, env=aws_cli_env(endpoint), capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def lakebox_server(tmp_path_factory) -> Iterator[LakeboxProcess]:
    """Start one Lakebox for the whole session; yield the running process."""
    base = tmp_path_factory.mktemp("lakebox-session")
    lb = LakeboxProcess(base / "data", base / "lakebox.stderr.log")
    try:
        lb.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield lb
    finally:
        rc = lb.terminate()
        if rc not in (0, None, -signal.SIGTERM):
            sys.stderr.write(f"\nlakebox exited with {rc}; stderr tail:\n{lb.log_tail()}\n")


@pytest.fixture(scope="session")
def lakebox_endpoint(lakebox_server) -> str:
    """The endpoint URL of the session Lakebox."""
    return lakebox_server.endpoint


@pytest.fixture(scope="session")
def lakebox_data_dir(lakebox_server) -> Path:
    """The ``--data-dir`` of the session Lakebox (S3 objects live in ``<dir>/s3``)."""
    return lakebox_server.data_dir


@pytest.fixture(scope="session")
def glue(lakebox_endpoint):
    """A boto3 Glue client pointed at the session Lakebox."""
    return make_glue_client(lakebox_endpoint)


@pytest.fixture(scope="session")
def athena(lakebox_endpoint):
    return make_athena_client(lakebox_endpoint)


@pytest.fixture(scope="session")
def s3(lakebox_endpoint):
    """A boto3 S3 client (path-style addressing) pointed at the session Lakebox."""
    return make_s3_client(lakebox_endpoint)


@pytest.fixture
def bucket(s3) -> Iterator[str]:
    """A fresh, uniquely named, empty bucket; emptied and deleted at teardown."""
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    yield name
    delete_bucket_recursive(s3, name)


@pytest.fixture
def aws_cli(lakebox_endpoint) -> Callable[..., Any]:
    """``aws_cli("glue", "get-databases")`` -> parsed JSON or failed process."""

    def run(*args: str, **kw: Any) -> Any:
        return run_aws_cli(lakebox_endpoint, *args, **kw)

    return run


@pytest.fixture
def start_lakebox(tmp_path) -> Iterator[Callable[[Path], LakeboxProcess]]:
    """Start *separate* Lakebox processes on given data dirs (restart tests).

    ``lb = start_lakebox(data_dir)`` returns a running ``LakeboxProcess``;
    every process started through this fixture is stopped at teardown.
    """
    started: list[LakeboxProcess] = []

    def start(data_dir: Path) -> LakeboxProcess:
        n = len(started)
        lb = LakeboxProcess(Path(data_dir), tmp_path / f"lakebox-{n}.stderr.log")
        started.append(lb)
        try:
            return lb.start()
        except RuntimeError as e:
            pytest.fail(str(e), pytrace=False)

    yield start
    for lb in started:
        try:
            lb.terminate()
        except AssertionError:
            pass

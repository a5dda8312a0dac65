"""A pytest fixture that runs Lakebox for the pipeline's tests: `lakebox serve --port 0` in a
temporary data dir, its endpoint read from the line it prints when ready. Copy it into your own
project: it needs only the `lakebox` binary (LAKEBOX_BIN, else `lakebox` on the PATH)."""

import os
import re
import shutil
import subprocess

import pytest


@pytest.fixture(scope="session")
def lakebox(tmp_path_factory):
    exe = os.environ.get("LAKEBOX_BIN") or shutil.which("lakebox")
    assert exe, "set LAKEBOX_BIN or put lakebox on the PATH"
    data = tmp_path_factory.mktemp("lakebox-data")
    proc = subprocess.Popen([exe, "serve", "--port", "0", "--data-dir", str(data)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    assert match, f"lakebox did not start: {line!r}"
    yield match.group(1)
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def aws(lakebox, monkeypatch):
    """Point every boto3 client at Lakebox, as a pipeline under test would be configured."""
    for key, value in {"AWS_ENDPOINT_URL": lakebox, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    return lakebox

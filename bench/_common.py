"""Helpers shared by the Lakebox-vs-moto benchmarks in this directory.

- starting and stopping a server (Lakebox or ``moto_server``) on a free
  ``127.0.0.1`` port with its own temp dir, in its own process group, and
  killing it on exit, errors, Ctrl-C and SIGTERM/SIGHUP;
- machine, version and binary information for the report header;
- Markdown rendering (header bullets, tables, notes).

Nothing here imports boto3, so the benchmarks can print their own hint when
it is missing.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import http.client
import importlib.metadata
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

REGION = "us-east-1"

STARTUP_POLL_INTERVAL_S = 0.001
STARTUP_TIMEOUT_S = 120.0

LAKEBOX_HEALTH = "/_lakebox/health"
MOTO_HEALTH = "/moto-api/"

# --------------------------------------------------------------------------
# process management


_LIVE: list["Server"] = []
_EXTRA_CLEANUP: list[Callable[[], None]] = []


def cleanup_all() -> None:
    """Stop every server still running (and run registered cleanups)."""
    for srv in list(_LIVE):
        srv.stop()
    while _EXTRA_CLEANUP:
        fn = _EXTRA_CLEANUP.pop()
        try:
            fn()
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass


def _on_signal(signum: int, _frame: Any) -> None:
    # Turn SIGTERM/SIGHUP into SystemExit so that `finally` blocks and atexit run.
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    """Stop servers on interpreter exit, and turn SIGTERM/SIGHUP into SystemExit."""
    atexit.register(cleanup_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)


def register_cleanup(fn: Callable[[], None]) -> None:
    """Run `fn` in `cleanup_all` (after the servers are stopped)."""
    _EXTRA_CLEANUP.append(fn)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class Server:
    name: str  # "lakebox" | "moto"
    exe: str
    health_path: str
    tmp_prefix: str = "bench"
    # Extra environment for the server; the value "{tmpdir}" is replaced by its temp dir.
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    port: int = 0
    tmpdir: str = ""
    log_path: str = ""

    def argv(self) -> list[str]:
        if self.name == "lakebox":
            return [self.exe, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                    "--data-dir", os.path.join(self.tmpdir, "data")]
        return [self.exe, "-H", "127.0.0.1", "-p", str(self.port)]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> str:
        return os.path.join(self.tmpdir, "data")

    def start(self) -> float:
        """Start a fresh instance; return ms from spawn to first answered GET."""
        assert self.proc is None
        self.tmpdir = tempfile.mkdtemp(prefix=f"{self.tmp_prefix}-{self.name}-")
        os.makedirs(os.path.join(self.tmpdir, "data"))
        self.port = free_port()
        self.log_path = os.path.join(self.tmpdir, "server.log")
        env = dict(os.environ)
        env.setdefault("AWS_ACCESS_KEY_ID", "test")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        env.setdefault("AWS_DEFAULT_REGION", REGION)
        for k, v in self.extra_env.items():
            env[k] = v.replace("{tmpdir}", self.tmpdir)
        log = open(self.log_path, "wb")
        argv = self.argv()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=self.tmpdir, env=env, start_new_session=True,
        )
        log.close()
        _LIVE.append(self)
        deadline = t0 + STARTUP_TIMEOUT_S
        while True:
            try:
                http_get(self.port, self.health_path)
                return (time.perf_counter() - t0) * 1000.0
            except (OSError, http.client.HTTPException):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with status {self.proc.returncode} before answering"
                    f" ({shlex.join(argv)}); log tail:\n{self.log_tail()}")
            if time.perf_counter() > deadline:
                raise RuntimeError(
                    f"{self.name} did not answer GET {self.health_path} within "
                    f"{STARTUP_TIMEOUT_S:.0f} s; log tail:\n{self.log_tail()}")
            time.sleep(STARTUP_POLL_INTERVAL_S)

    def log_tail(self, n: int = 30) -> str:
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    def _status_kib(self, field_name: str) -> int | None:
        if self.proc is None:
            return None
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(field_name + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def rss_mib(self) -> float | None:
        """Resident set size now."""
        kib = self._status_kib("VmRSS")
        return None if kib is None else kib / 1024.0

    def peak_rss_mib(self) -> float | None:
        """Peak resident set size since the server started (VmHWM)."""
        kib = self._status_kib("VmHWM")
        return None if kib is None else kib / 1024.0

    def cpu_s(self) -> float | None:
        """User + system CPU seconds used by the server process so far (all its threads)."""
        if self.proc is None:
            return None
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                # The command name (field 2) may contain spaces; it is in parentheses.
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLK_TCK
        except (OSError, IndexError, ValueError):
            return None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                # The child leads its own session (start_new_session=True), so
                # its process group id is its pid: signal exactly that group.
                for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                    try:
                        os.killpg(proc.pid, sig)
                    except ProcessLookupError:
                        break
                    try:
                        proc.wait(timeout=wait)
                        break
                    except subprocess.TimeoutExpired:
                        continue
            else:
                proc.wait()
        if self in _LIVE:
            _LIVE.remove(self)
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = ""


def run_step(errors: dict[str, str], key: str, fn: Callable[[], None]) -> bool:
    """Run one benchmark step; on an exception record it under `key` and carry on."""
    try:
        fn()
        return True
    except Exception as e:  # report, keep going with the other rows
        msg = f"{type(e).__name__}: {e}"
        errors[key] = msg.splitlines()[0][:300]
        print(f"    !! {key} failed: {msg}", file=sys.stderr)
        return False


# --------------------------------------------------------------------------
# environment / versions


def server_version(srv: Server) -> str:
    if srv.name == "lakebox":
        try:
            _, body = http_get(srv.port, LAKEBOX_HEALTH)
            return str(json.loads(body).get("version", "?"))
        except Exception as e:  # noqa: BLE001
            return f"? ({type(e).__name__})"
    return moto_version(srv.exe)


def moto_version(moto_exe: str) -> str:
    try:
        return importlib.metadata.version("moto")
    except importlib.metadata.PackageNotFoundError:
        pass
    # moto may live in a different venv than the one running this script.
    py = os.path.join(os.path.dirname(moto_exe), "python")
    try:
        out = subprocess.run(
            [py, "-c", "import importlib.metadata as m; print(m.version('moto'))"],
            capture_output=True, text=True, timeout=30, check=True)
        return out.stdout.strip()
    except Exception:  # noqa: BLE001
        return "?"


def machine_info() -> dict[str, str]:
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                    break
    except OSError:
        pass
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": str(nproc),
        "cpu": model,
        "mem": mem,
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load": load,
    }


def filesystem_of(path: str) -> str:
    """'<fstype> on <mount point> (<device>)' for the mount holding `path`."""
    path = os.path.realpath(path)
    best: tuple[str, str, str] | None = None
    try:
        with open("/proc/mounts") as f:
            for line in f:
                dev, mnt, fstype = line.split()[:3]
                mnt = mnt.replace("\\040", " ")
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and (
                        best is None or len(mnt) >= len(best[1])):
                    best = (dev, mnt, fstype)
    except OSError:
        pass
    if best is None:
        return "?"
    dev, mnt, fstype = best
    return f"{fstype} on {mnt} ({dev})"


LAKEBOX_TARGET = "/root/.cache/lakebox/target"


def default_lakebox_bin() -> str:
    env = os.environ.get("LAKEBOX_BIN")
    if env:
        return env
    release = os.path.join(LAKEBOX_TARGET, "release", "lakebox")
    debug = os.path.join(LAKEBOX_TARGET, "debug", "lakebox")
    if os.path.exists(release) or not os.path.exists(debug):
        return release
    return debug


def is_debug_build(exe: str) -> bool:
    return "/debug/" in exe


def stale_binary_warning(exe: str) -> str | None:
    """A warning when the other profile's lakebox binary next to `exe` is newer (so `exe` may
    predate recent changes), else None."""
    parts = exe.split(os.sep)
    if len(parts) < 3 or parts[-2] not in ("release", "debug"):
        return None
    other = os.sep.join(parts[:-2] + ["debug" if parts[-2] == "release" else "release", parts[-1]])
    try:
        mine, theirs = os.path.getmtime(exe), os.path.getmtime(other)
    except OSError:
        return None
    if theirs > mine + 1:
        age = _dt.timedelta(seconds=round(theirs - mine))
        return (f"`{other}` is {age} newer than the binary used (`{exe}`): "
                "the binary used may predate recent changes")
    return None


def default_moto_server() -> str:
    sibling = os.path.join(os.path.dirname(sys.executable), "moto_server")
    return sibling if os.path.exists(sibling) else (shutil.which("moto_server") or sibling)


# --------------------------------------------------------------------------
# report


def fmt_int(n: int) -> str:
    return f"{n:,}"


def fmt_ratio(num: float | None, den: float | None) -> str:
    """`num / den` as '1.23×' (em dash when either side is missing)."""
    if num is None or den is None or den <= 0:
        return "—"
    r = num / den
    return f"{r:.2f}×" if r < 10 else (f"{r:.1f}×" if r < 100 else f"{r:,.0f}×")


def median_or_none(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def md_header(title: str, cmdline: str, info: dict[str, str],
              servers: Sequence[tuple[str, str, str]], client: str,
              extra: Sequence[str] = ()) -> list[str]:
    """The report's title and bullets: command, date, machine, each server as
    (name, version, exe) with debug builds flagged, `extra` bullets, the client."""
    out = [f"## {title}\n"]
    out.append(f"- Command: `{cmdline}`")
    out.append(f"- Date: {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    out.append(f"- Machine: {info['cpu']}, nproc={info['nproc']}, {info['mem']} RAM, "
               f"{info['kernel']}, load average at start {info['load']}")
    for name, version, exe in servers:
        if name == "lakebox":
            build = " — **debug build, not representative**" if is_debug_build(exe) else ""
            out.append(f"- Lakebox: {version} (`{exe}`){build}")
        else:
            out.append(f"- {name}: {version} (`{exe}`)")
    out.extend(f"- {e}" for e in extra)
    out.append(f"- Client: {client}")
    out.append("")
    return out


def md_table(headers: Sequence[str], align: str, rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table; `align` has one 'l' or 'r' per column."""
    assert len(align) == len(headers)
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"]
    for row in rows:
        assert len(row) == len(headers), row
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    return out


def md_notes(notes: Sequence[str]) -> list[str]:
    if not notes:
        return []
    return ["Notes:\n", *(f"- {n}" for n in notes), ""]


def emit(lines: Sequence[str], out: str | None) -> None:
    """Prints a Markdown report and, with --out, writes it to that file too."""
    report = "\n".join(lines)
    print(report)
    if out:
        with open(out, "w") as f:
            f.write(report + "\n")

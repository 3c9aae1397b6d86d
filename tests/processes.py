"""Helpers for the real processes that tests and benchmarks start: ports, readiness, /proc.

No pytest and no Django here, so that the scripts of bench/ use the same ones.
"""

import os
import re
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(
    process: subprocess.Popen, port: int, output: Callable[[], str], timeout: float = 30
) -> None:
    """Return once `process` accepts connections on `port`; RuntimeError, with the end of
    its `output`, if it exits first or does not listen within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process exited early:\n{output()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on {port} within {timeout} s:\n{output()[-3000:]}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1))


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM of /proc/PID/status), in KiB."""
    return _status_kib(pid, "VmHWM")


def rss_kib(pid: int) -> int:
    """The process's resident memory now (VmRSS), in KiB."""
    return _status_kib(pid, "VmRSS")

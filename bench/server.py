"""The production server under test: `itsm serve` on a loopback port, and its peak memory."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx
import psutil


@dataclass
class ProcessMemory:
    pid: int
    role: str
    peak_rss_mb: float


@dataclass
class Server:
    """`itsm serve --workers N` as a child process; samples every descendant's RSS while up."""

    env: dict[str, str]
    port: int
    workers: int
    log_path: Path
    with_worker: bool = True
    process: subprocess.Popen[bytes] | None = None
    peaks: dict[int, ProcessMemory] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _sampler: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        _require_free_port(self.port)
        command = [
            sys.executable,
            "-m",
            "itsm",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        if not self.with_worker:
            command.append("--no-worker")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def _wait_ready(self, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"itsm serve exited early; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/login/", timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"itsm serve did not answer within {timeout:.0f} s; see {self.log_path}")

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.sample_once()
            self._stop.wait(0.5)

    def sample_once(self) -> None:
        assert self.process is not None
        try:
            root = psutil.Process(self.process.pid)
            children = root.children(recursive=True)
        except psutil.Error:
            return
        for proc in children:
            try:
                rss = _peak_rss(proc)
                role = _role(proc.cmdline(), parent_is_root=proc.ppid() == root.pid)
            except psutil.Error:
                continue
            known = self.peaks.get(proc.pid)
            if known is None or rss > known.peak_rss_mb:
                self.peaks[proc.pid] = ProcessMemory(proc.pid, role, rss)

    def memory(self) -> list[ProcessMemory]:
        self.sample_once()
        return sorted(self.peaks.values(), key=lambda m: (m.role, m.pid))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._sampler is not None:
            self._sampler.join(timeout=2)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # `itsm serve` stops gunicorn and the worker on SIGTERM
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _require_free_port(port: int) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"Port {port} is already in use; pass --port with a free one")


def _peak_rss(proc: psutil.Process) -> float:
    """The kernel's high-water mark (VmHWM) where available, else the current RSS, in MB."""
    try:
        with open(f"/proc/{proc.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return proc.memory_info().rss / (1024 * 1024)


def _role(cmdline: list[str], *, parent_is_root: bool) -> str:
    if "gunicorn" in " ".join(cmdline):
        # The master is the direct child of `itsm serve`; web workers are forked from it.
        return "web master" if parent_is_root else "web worker"
    if "worker" in cmdline:
        return "background worker"
    return cmdline[-1] if cmdline else "?"

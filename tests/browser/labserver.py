"""Start and stop a private JupyterLab for the browser tests.

    with LabServer(root_dir, env={"COURSE_FAST": "1"}) as lab:
        print(lab.url("lab/tree/00_welcome.ipynb"))   # http://127.0.0.1:PORT/lab/tree/...?token=...

The server runs from the course's own environment (the `jupyter` next to this Python), on a
free port of 127.0.0.1, with a random token, in its own process group, with its own settings,
workspace and runtime folders (so a learner's JupyterLab settings play no part and nothing is
written outside the temporary folder). `stop()` shuts it down and its kernels: first politely
(SIGTERM to the process group, which makes the server stop its kernels), then SIGKILL to what is
left of the group. `__exit__` always calls it, so the server stops even when a test fails.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

# JupyterLab settings for a predictable page: every cell in the DOM (no virtual scrolling),
# no autosave (the notebooks are copies, but nothing should be written behind the test's back),
# no news or update checks (there is no network), no "what's new" pop-ups.
LAB_SETTINGS: dict[str, dict[str, object]] = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LabServerError(RuntimeError):
    """JupyterLab did not start (its log is in the message)."""


class LabServer:
    """A JupyterLab server serving `root_dir`, for one test session.

    `work_dir` holds the server's log, settings and runtime files; `env` is added to the
    server's environment and so reaches every kernel it starts (e.g. COURSE_FAST=1).
    """

    def __init__(self, root_dir: Path, work_dir: Path, env: dict[str, str] | None = None,
                 start_timeout: float = 120.0) -> None:
        self.root_dir = Path(root_dir)
        self.work_dir = Path(work_dir)
        self.extra_env = dict(env or {})
        self.start_timeout = start_timeout
        self.port = 0
        self.token = secrets.token_hex(16)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.work_dir / "jupyterlab.log"

    # -- addresses -------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def url(self, path: str) -> str:
        """Address of `path` on the server, with the token."""
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path.lstrip('/')}{sep}token={self.token}"

    def api(self, path: str) -> object:
        """GET /api/<path> and decode the JSON."""
        req = urllib.request.Request(self.base + "api/" + path.lstrip("/"),
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read().decode())

    # -- life cycle ------------------------------------------------------------------------
    def _write_settings(self) -> Path:
        settings = self.work_dir / "lab-user-settings"
        for rel, values in LAB_SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return settings

    def start(self) -> "LabServer":
        jupyter = Path(sys.executable).with_name("jupyter")
        if not jupyter.exists():
            raise LabServerError(f"{jupyter} not found: run `make install` first")
        if not self.root_dir.is_dir():
            raise LabServerError(f"root_dir {self.root_dir} is not a folder")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(self.extra_env)
        env.update({
            "JUPYTERLAB_SETTINGS_DIR": str(self._write_settings()),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.work_dir / "lab-workspaces"),
            "JUPYTER_RUNTIME_DIR": str(self.work_dir / "runtime"),
            "JUPYTER_CONFIG_DIR": str(self.work_dir / "config"),
            "PYTHONUNBUFFERED": "1",
        })
        self.port = free_port()
        cmd = [str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", "--ServerApp.password=",
               f"--ServerApp.root_dir={self.root_dir}",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--ServerApp.shutdown_no_activity_timeout=3600",
               "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False",
               "--MappingKernelManager.cull_idle_timeout=0"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI runs as root
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.proc = subprocess.Popen(cmd, cwd=self.root_dir, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                raise LabServerError(f"JupyterLab exited with code {self.proc.returncode} "
                                     f"while starting:\n{self.log_tail()}")
            try:
                self.api("status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise LabServerError(f"JupyterLab did not answer on port {self.port} within "
                                     f"{self.start_timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.5)

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def shutdown_kernels(self) -> int:
        """Shut down every running kernel (frees the CPU between tests); return how many."""
        kernels = self.api("kernels")
        for k in kernels:  # type: ignore[union-attr]
            req = urllib.request.Request(self.base + f"api/kernels/{k['id']}", method="DELETE",
                                         headers={"Authorization": f"token {self.token}"})
            with urllib.request.urlopen(req, timeout=30):
                pass
        return len(kernels)  # type: ignore[arg-type]

    def _post(self, path: str) -> None:
        req = urllib.request.Request(self.base + "api/" + path.lstrip("/"), data=b"", method="POST",
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10):
            pass

    def stop(self, grace: float = 20.0) -> None:
        """Stop the server and every process it started (kernels included). Idempotent.

        Kernels run in sessions of their own, so they are found as the server's descendants
        before it is asked to shut down; whatever of them is still alive afterwards is killed
        by process id.
        """
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            descendants = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            descendants = []
        try:
            if proc.poll() is None:
                try:
                    self._post("shutdown")  # the server stops its kernels, then itself
                except (urllib.error.URLError, OSError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        finally:
            _gone, alive = psutil.wait_procs(descendants, timeout=5)
            for child in alive:
                try:
                    child.kill()
                except psutil.Error:
                    pass
            psutil.wait_procs(alive, timeout=5)
            self._log.close()

    def __enter__(self) -> "LabServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

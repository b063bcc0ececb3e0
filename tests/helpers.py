"""Small builders for test data with known answers."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd


def make_panel(series: dict[tuple[str, str, str, str], list[float | None]], first_year: int = 2010) -> pd.DataFrame:
    """A panel from {(area, measure, classification, code): [values from first_year]}."""
    rows = []
    for (area, measure, classification, code), values in series.items():
        for offset, value in enumerate(values):
            rows.append(
                {
                    "area": area,
                    "measure": measure,
                    "classification": classification,
                    "code": code,
                    "period": first_year + offset,
                    "value": np.nan if value is None else value,
                }
            )
    return pd.DataFrame(rows)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(command: list[str], health_url: str, timeout: float = 90, **popen):
    """Start a real server process, wait until ``health_url`` answers 200, stop it after.

    Fails the test with the server's last output if it exits early or never gets healthy;
    the whole process group is terminated (then killed) however the test ends.
    """
    import httpx
    import pytest

    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"server exited early:\n{process.stdout.read().decode(errors='replace')[-3000:]}")
            try:
                if httpx.get(health_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        else:
            pytest.fail(f"server not healthy at {health_url} within {timeout:.0f} s")
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def serve_command(port: int, *options: str) -> list[str]:
    """``skillcast serve`` on ``port`` from this checkout, with more ``options``."""
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    return [sys.executable, "-m", "skillcast.cli.entry", "serve", "--port", str(port), "--project-dir", str(repo), *options]


@contextmanager
def lock_held_elsewhere(lock_file):
    """Another process holding the retrain job's lock (``job_lock``) until the block ends; yields its pid."""
    import sys

    code = (
        "import sys, time; from pathlib import Path; from skillcast.mlops.workspace import job_lock\n"
        "with job_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(lock_file)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()


@contextmanager
def service_app(settings: dict[str, str]):
    """The BentoML service's ASGI app, built with ``settings`` in the environment (it reads its
    Config from there), which is restored afterwards.

    BentoML registers its request metrics in prometheus_client's process-wide registry once
    per app it builds, so a second app in the same test process would fail with
    ``DuplicateTimeseries``: they are removed when the app is done with, so the next module
    can build its own."""
    from prometheus_client import REGISTRY

    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        from serving.service import SkillcastService, service_config

        service_config.cache_clear()  # one configuration per process in production; each app here has its own
        yield SkillcastService.to_asgi()
    finally:
        for collector, names in list(REGISTRY._collector_to_names.items()):
            if any(name.startswith("bentoml_") for name in names):
                REGISTRY.unregister(collector)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

"""Fixtures for the development app: a stubbed team-needs engine, evidence helpers, and a real learning record
store (Ralph, run in its own environment on loopback with its file backend)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.utils import timezone

from development.models import MasteryEvidence
from training.models import Competency, Course

RALPH_INSTALL = "uv tool install 'ralph-malph[cli,lrs]==5.1.0' --with requests"


# --- The team-needs engine (insights), stubbed ------------------------------------------------------------------


@dataclass
class Need:
    task_key: str
    task_name: str
    priority: int
    sellers: list[Any]
    reason: str


@pytest.fixture
def stub_needs(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[int, list[Need]]], list[dict[str, Any]]]:
    """stub_needs({manager_pk: [Need(...)]}) makes insights.selectors.manager_coaching_needs answer those needs
    (and [] for other managers). Returns the list of calls made, each {"user", "manager"}."""
    calls: list[dict[str, Any]] = []

    def install(needs_by_manager: dict[int, list[Need]]) -> list[dict[str, Any]]:
        def manager_coaching_needs(*, user: Any, manager: Any) -> list[Need]:
            calls.append({"user": user, "manager": manager})
            return needs_by_manager.get(manager.pk, [])

        try:
            import insights.selectors as real
        except ImportError:
            module = types.ModuleType("insights.selectors")
            module.manager_coaching_needs = manager_coaching_needs  # type: ignore[attr-defined]
            monkeypatch.setitem(sys.modules, "insights.selectors", module)
        else:
            monkeypatch.setattr(real, "manager_coaching_needs", manager_coaching_needs, raising=False)
        # The stub stands for an engine that has run an analysis.
        monkeypatch.setattr("development.recommendations._analysis_exists", lambda: True)
        return calls

    return install


@pytest.fixture
def no_insights(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine is not there (yet): importing insights.selectors fails."""
    monkeypatch.setitem(sys.modules, "insights.selectors", None)


# --- Evidence helpers -------------------------------------------------------------------------------------------


@pytest.fixture
def competency(db: None) -> Competency:
    return Competency.objects.get(key="coaching")


@pytest.fixture
def coaching_course(db: None) -> Course:
    return Course.objects.get(key="coaching-vs-mentoring")


def make_evidence(manager: Any, competency: Competency, *, by: Any, kind: str = "observed_demonstration",
                  status: str = MasteryEvidence.Status.SUBMITTED, score: Decimal | None = None,
                  pass_mark: Decimal | None = None, course: Course | None = None) -> MasteryEvidence:
    now = timezone.now()
    return MasteryEvidence.objects.create(
        manager=manager, competency=competency, course=course, kind=kind,
        summary="Ran a coaching conversation on discovery with Sam, observed on a live call.",
        occurred_on=timezone.localdate() - dt.timedelta(days=2), score=score, pass_mark=pass_mark,
        status=status, submitted_by=by, submitted_at=now,
        decided_at=now if status in (MasteryEvidence.Status.ACCEPTED, MasteryEvidence.Status.SENT_BACK) else None,
    )


# --- A real learning record store --------------------------------------------------------------------------------


@dataclass
class Lrs:
    url: str  # the xAPI endpoint, ending in /xAPI/
    username: str
    password: str
    data_dir: Path


def _ralph_executable() -> str | None:
    explicit = os.environ.get("RALPH_BIN")
    if explicit:
        return explicit if Path(explicit).exists() else None
    found = shutil.which("ralph")
    if found:
        return found
    # `uv tool install` puts executables in its bin directory (~/.local/bin by default), not always on PATH.
    candidates = [Path.home() / ".local" / "bin" / "ralph"]
    uv = shutil.which("uv")
    if uv:
        found_dir = subprocess.run([uv, "tool", "dir", "--bin"], capture_output=True, text=True, timeout=30)
        if found_dir.returncode == 0 and found_dir.stdout.strip():
            candidates.insert(0, Path(found_dir.stdout.strip()) / "ralph")
    return next((str(c) for c in candidates if c.exists()), None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def ralph_lrs(tmp_path: Path) -> Iterator[Lrs]:
    """Start Ralph's LRS on a free loopback port with its file backend in a temp dir; stop it afterwards.

    Ralph runs from its own environment (a uv tool), never ours: install it with RALPH_INSTALL."""
    ralph = _ralph_executable()
    if ralph is None:
        pytest.skip(f"Ralph LRS not installed (no `ralph` on PATH, in ~/.local/bin or RALPH_BIN): {RALPH_INSTALL}")
    username, password = "promoted-test", "lrs-test-password-1"
    env = {
        **os.environ,
        "RALPH_APP_DIR": str(tmp_path / "app"),
        "RALPH_AUTH_FILE": str(tmp_path / "auth.json"),
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(tmp_path / "statements"),
    }
    made = subprocess.run(
        [ralph, "auth", "--username", username, "--password", password, "--scope", "statements/write",
         "--scope", "statements/read/mine", "--agent-ifi-mbox", "mailto:lrs@promoted.example", "--write-to-disk"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    if made.returncode != 0:
        raise RuntimeError(f"`ralph auth` failed: {made.stderr[-2000:]}")
    port = _free_port()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    log = (tmp_path / "ralph.log").open("wb")
    process = subprocess.Popen(
        [ralph, "runserver", "--backend", "fs", "--fs-default-directory-path", str(tmp_path / "statements"),
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=run_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"Ralph exited early: {(tmp_path / 'ralph.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/__heartbeat__", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Ralph did not start: {(tmp_path / 'ralph.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield Lrs(url=f"{base}/xAPI/", username=username, password=password, data_dir=tmp_path / "statements")
    finally:
        # runserver starts a reloader with a child server: stop the whole process group we started.
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        log.close()

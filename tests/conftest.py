"""Shared fixtures: a fresh project, the CLI runner, database snapshots."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qualmine.cli import cli

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _isolated_user(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads the developer's own coder name or config, or works in the repository's
    own project (the example study at the top level): each starts in an empty folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("QUALMINE_CODER", raising=False)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, project: Path, *args: str, coder: str | None = None) -> Result:
    """Run the real CLI on a project folder."""
    prefix = ["--project", str(project)]
    if coder:
        prefix += ["--as", coder]
    return runner.invoke(cli, [*prefix, *args], catch_exceptions=False)


@pytest.fixture
def project_dir(tmp_path: Path, runner: CliRunner) -> Path:
    """An empty, initialised project."""
    folder = tmp_path / "proj"
    result = runner.invoke(cli, ["init", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder


def snapshot(project: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, to compare a project before and after a command."""
    conn = sqlite3.connect(project / ".qualmine" / "project.db")
    try:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


@pytest.fixture
def chdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    yield monkeypatch.chdir

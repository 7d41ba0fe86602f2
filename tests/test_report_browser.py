"""The HTML report opened in headless Chromium: it loads, logs no errors, shows its tables."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import invoke
from qualmine.models import Coding
from qualmine.project.codings_file import find_quote
from qualmine.project.config import find_project
from qualmine.storage import transaction
from qualmine.storage.codings import add_codings, mark_done
from qualmine.storage.documents import all_documents
from small_project import make_small_project

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
    pytest.skip("chromium is not installed here (apt-get install chromium)")


@pytest.fixture
def coded_small(tmp_path: Path) -> Path:
    folder = make_small_project(tmp_path / "p")
    project = find_project(explicit=folder)
    picks = [
        ("D1", "I trust people I have met.", "trust"),
        ("D1", "I asked my peers about the vendor.", "peers"),
        ("D2", "My colleagues matter most.", "peers"),
        ("D2", "my BlackBerry goes everywhere with me.", "mobile"),
        ("D3", "A peer in the forum warned me.", "peers"),
    ]
    with project.session() as conn:
        docs = {d.name: d for d in all_documents(conn)}
        rows = []
        for name, quote, code in picks:
            [(start, end)] = find_quote(docs[name].text, quote)
            rows.append(Coding(0, docs[name].id, start, end, quote, code, "alice"))
        with transaction(conn):
            add_codings(conn, rows)
            for doc in docs.values():
                mark_done(conn, doc.id, "alice")
    config = folder / "qualmine.toml"
    config.write_text(config.read_text() + 'report_coder = "alice"\n')
    return folder


def test_the_report_loads_in_chromium_without_console_errors(
    coded_small: Path, runner: CliRunner, tmp_path: Path
) -> None:
    browser = _browser()
    page = tmp_path / "report.html"
    result = invoke(runner, coded_small, "report", "-o", str(page))
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    # Nothing is fetched: no resource points outside the page (XML namespaces are names).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script src" not in html and "@import" not in html
    profile = tmp_path / "profile"
    shot = tmp_path / "shot.png"
    run = subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2000",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000, run.stderr[-2000:]
    console_errors = [
        ln
        for ln in run.stderr.splitlines()
        if "CONSOLE" in ln and re.search(r"error|uncaught", ln, re.I)
    ]
    assert console_errors == []
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert dom.count("<table>") >= 5
    for heading in ("Codebook", "Code frequencies", "Code co-occurrence", "Quotes per code"):
        assert f">{heading}</h2>" in dom
    assert "I trust people I have met." in dom

"""The CLI shell: init, project discovery, identity, help, errors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import invoke
from qualmine.cli import COMMANDS, cli


def test_init_makes_a_project_with_an_owner_only_database(project_dir: Path) -> None:
    assert (project_dir / "qualmine.toml").is_file()
    db = project_dir / ".qualmine" / "project.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_init_twice_says_it_already_is_one(runner: CliRunner, project_dir: Path) -> None:
    result = runner.invoke(cli, ["init", str(project_dir)])
    assert result.exit_code == 0
    assert "already a project" in result.output


def test_commands_find_the_project_from_a_subfolder(
    runner: CliRunner, project_dir: Path, monkeypatch: object
) -> None:
    sub = project_dir / "a" / "b"
    sub.mkdir(parents=True)
    old = Path.cwd()
    os.chdir(sub)
    try:
        result = runner.invoke(cli, ["documents", "--format", "csv"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("id,name,turns")


def test_outside_a_project_is_one_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(cli, ["documents"])
    finally:
        os.chdir(old)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "not inside a qualmine project" in result.output
    assert "Traceback" not in result.output


def test_a_broken_qualmine_toml_names_the_file(runner: CliRunner, project_dir: Path) -> None:
    (project_dir / "qualmine.toml").write_text("[project]\nname = 'x'\nsed = 3\n")
    result = invoke(runner, project_dir, "documents")
    assert result.exit_code == 1
    assert "qualmine.toml" in result.output and "sed" in result.output


def test_whoami_reports_the_source(runner: CliRunner, project_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QUALMINE_CODER", "alice")
    result = invoke(runner, project_dir, "whoami")
    assert result.output.strip() == "alice (from QUALMINE_CODER)"
    result = invoke(runner, project_dir, "whoami", coder="bob")
    assert result.output.strip() == "bob (from --as)"


def test_whoami_reads_the_user_config(runner: CliRunner, project_dir: Path) -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "qualmine" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('coder = "carol"\n')
    result = invoke(runner, project_dir, "whoami")
    assert result.output.strip() == f"carol (from {config})"


def test_whoami_without_a_name_fails(runner: CliRunner, project_dir: Path) -> None:
    result = invoke(runner, project_dir, "whoami")
    assert result.exit_code == 1


def test_every_command_has_help_with_an_example(runner: CliRunner) -> None:
    for name in COMMANDS:
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None
        commands = [command, *getattr(command, "commands", {}).values()]
        for each in commands:
            assert each.help and "Example:" in each.help, f"{name} {each.name} lacks an Example"


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from qualmine.cli import cli\n"
        "r = CliRunner().invoke(cli, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = [m for m in ('torch', 'bertopic', 'sentence_transformers', 'umap', 'spacy')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_installed_console_script_runs() -> None:
    exe = Path(sys.executable).parent / "qualmine"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("qualmine, version")
    out = subprocess.run(
        [sys.executable, "-m", "qualmine", "--help"], capture_output=True, text=True, check=True
    )
    assert "Usage:" in out.stdout

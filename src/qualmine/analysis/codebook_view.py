"""The codebook as a table: the code tree, definitions, and counts per coder."""

from __future__ import annotations

from pathlib import Path

from qualmine.codebook import load_codebook
from qualmine.models import Codebook, Table
from qualmine.project.codebook_sync import project_codebook_path
from qualmine.project.config import Project


def _depth(codebook: Codebook, code_id: str) -> int:
    depth, code = 0, codebook.code(code_id)
    while code is not None and code.parent:
        depth += 1
        code = codebook.code(code.parent)
    return depth


def codebook_table(
    project: Project | None, file: Path | None, *, definitions: bool = True
) -> Table:
    """One row per code in tree order; with a project, non-rejected codings per coder."""
    path = file if project is None else project_codebook_path(project, file)
    assert path is not None
    codebook = load_codebook(path)
    counts: dict[tuple[str, str], int] = {}
    coders: list[str] = []
    if project is not None:
        with project.session() as conn:
            rows = conn.execute(
                "SELECT code, coder, COUNT(*) FROM codings WHERE status NOT IN "
                "('rejected', 'orphaned') GROUP BY code, coder"
            ).fetchall()
        counts = {(r[0], r[1]): r[2] for r in rows}
        coders = sorted({r[1] for r in rows})
    columns = ("code", "name", *(("definition",) if definitions else ()), *coders)
    out = []
    for code in codebook.codes:
        label = "  " * _depth(codebook, code.id) + code.id
        name = code.name + (f" [{code.stance}]" if code.stance else "")
        defn = (code.definition,) if definitions else ()
        out.append((label, name, *defn, *(counts.get((code.id, c), 0) for c in coders)))
    meta = {
        "codebook": f"{codebook.name} (version {codebook.version})",
        "codes": str(len(codebook.codes)),
    }
    if coders:
        meta["counts"] = (
            "codings per coder, statuses suggested and accepted (not rejected or orphaned)"
        )
    return Table("Codebook", columns, tuple(out), meta)

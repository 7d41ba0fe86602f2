"""Lines that tell the user what a command did."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qualmine.coding.auto import CodeResult
    from qualmine.pipeline import RunResult
    from qualmine.project.importer import ImportReport


def import_lines(report: ImportReport) -> list[str]:
    """What an import did, a line a fact."""
    lines = [
        f"imported {len(report.added)} new, {len(report.updated)} changed, "
        f"{len(report.unchanged)} unchanged document(s)"
    ]
    for path, reason in report.skipped:
        lines.append(f"skipped {path}: {reason}")
    encodings = sorted({e for e in report.encodings.values()})
    if encodings:
        lines.append(
            "encodings: "
            + ", ".join(
                f"{e} ({sum(1 for v in report.encodings.values() if v == e)})" for e in encodings
            )
        )
    if report.cases_with_attributes:
        lines.append(f"case attributes set for {report.cases_with_attributes} case(s)")
    if report.moved:
        lines.append(f"re-anchored {len(report.moved)} coding(s) in changed documents")
    if report.orphaned:
        ids = ", ".join(str(i) for i in report.orphaned)
        lines.append(f"orphaned {len(report.orphaned)} coding(s) whose text is gone: ids {ids}")
    return lines


def run_lines(result: RunResult) -> list[str]:
    """What `qualmine run` did, a line a fact."""
    lines = import_lines(result.imported)
    if result.codebook:
        cb = result.codebook.codebook
        lines.append(f"codebook {cb.name!r} version {cb.version}: {len(cb.codes)} codes")
        if result.codebook.orphaned:
            lines.append(f"orphaned {len(result.codebook.orphaned)} coding(s) whose code is gone")
    for name, loaded in result.codings:
        lines.append(
            f"codings {name}: {loaded.added} added, {loaded.already_present} already present, "
            f"{loaded.done_marks} done-mark(s) new; coders {', '.join(loaded.coders)}"
        )
    lines += [f"{stage}: {note}" for stage, note in result.stages.items()]
    if result.report is not None:
        lines.append(
            f"report: {result.report} ({len(result.written)} file(s) written, "
            f"{len(result.unchanged)} unchanged, manifest updated)"
        )
    lines.append("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items()))
    return lines


def code_lines(result: CodeResult) -> list[str]:
    """What an auto-coder run did."""
    lines = list(result.notes)
    if result.summary is None:
        lines.append("dry run: nothing written")
        return lines
    s = result.summary
    lines.append(
        f"run {s.run_id} ({s.coder}): {s.units} units in {s.documents} documents scored; "
        f"{s.suggestions_added} suggestion(s) added, {s.suggestions_existing} already present"
    )
    return lines

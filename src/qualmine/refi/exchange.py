"""Whole files: a project to and from ``.qdpx`` bytes, a codebook to and from a file."""

from __future__ import annotations

from pathlib import Path

from qualmine.errors import InputFileError
from qualmine.models import Codebook
from qualmine.refi.archive import ArchiveLimits, read_qdpx, zip_bytes
from qualmine.refi.codebook_convert import codebook_to_refi
from qualmine.refi.codebook_tables import codebook_csv, codebook_xlsx, read_codebook_table
from qualmine.refi.codebook_xml import read_qdc, write_qdc
from qualmine.refi.export_mapping import project_to_refi
from qualmine.refi.import_mapping import project_from_refi
from qualmine.refi.project_read import read_project
from qualmine.refi.project_write import write_project
from qualmine.refi.records import ImportedProject, Loss, ProjectData, RefiCodebook

QDE_NAME = "project.qde"
CODEBOOK_READERS = (".qdc", ".csv", ".xlsx")


def qdpx_bytes(data: ProjectData, origin: str) -> tuple[bytes, bytes]:
    """A project as a ``.qdpx`` archive; also its ``project.qde`` (for checks and diffs)."""
    project, files = project_to_refi(data, origin)
    qde = write_project(project)
    return zip_bytes({QDE_NAME: qde, **files}), qde


def read_qdpx_project(path: Path, limits: ArchiveLimits | None = None) -> ImportedProject:
    """Read a ``.qdpx`` archive into qualmine's terms, checking it before anything else.

    Raises:
        InputFileError: an unsafe or damaged archive or XML; the message is one line.
    """
    archive = read_qdpx(path, limits)
    project = read_project(archive.qde, archive.texts, f"{path}:{archive.qde_name}")
    return project_from_refi(project)


def codebook_bytes(book: Codebook, fmt: str, origin: str) -> bytes:
    """A codebook as ``qdc``, ``csv`` or ``xlsx`` bytes."""
    if fmt == "qdc":
        return write_qdc(codebook_to_refi(book, origin))
    if fmt == "csv":
        return codebook_csv(book).encode("utf-8")
    if fmt == "xlsx":
        return codebook_xlsx(book)
    raise ValueError(f"unknown codebook format {fmt!r}")


def read_codebook_file(
    path: Path, limits: ArchiveLimits | None = None
) -> tuple[RefiCodebook, tuple[Loss, ...]]:
    """A codebook from a ``.qdc``, ``.csv`` or ``.xlsx`` file, and what it left out.

    Raises:
        InputFileError: unknown type, unreadable, unsafe or malformed.
    """
    suffix = path.suffix.lower()
    if suffix not in CODEBOOK_READERS:
        raise InputFileError(
            path, f"unknown codebook type ({suffix or 'no extension'})", "give .qdc, .csv or .xlsx"
        )
    if suffix != ".qdc":
        return read_codebook_table(path, limits)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"cannot read ({exc.strerror})") from None
    size = len(data)
    if size > (limits or ArchiveLimits()).max_entry_bytes:
        raise InputFileError(path, f"refused: {size:,} bytes is too big for a codebook")
    return read_qdc(data, str(path)), ()

"""REFI-QDA exchange (QDC codebooks, QDPX projects) and codebook spreadsheets of QDA programs.

This is the only package that knows REFI-QDA XML. It works on plain records
(``ProjectData``, ``Codebook``); reading and writing the project is left to
``qualmine.project.interchange``. The mapping is documented in docs/refi-qda.md.
"""

from qualmine.refi.archive import ArchiveLimits
from qualmine.refi.codebook_convert import MergePlan, codebook_from_refi, plan_merge
from qualmine.refi.exchange import (
    CODEBOOK_READERS,
    codebook_bytes,
    qdpx_bytes,
    read_codebook_file,
    read_qdpx_project,
)
from qualmine.refi.extras import EXTRAS_NOTE
from qualmine.refi.records import DocumentData, ImportedProject, Loss, Memo, ProjectData

__all__ = [
    "CODEBOOK_READERS",
    "EXTRAS_NOTE",
    "ArchiveLimits",
    "DocumentData",
    "ImportedProject",
    "Loss",
    "Memo",
    "MergePlan",
    "ProjectData",
    "codebook_bytes",
    "codebook_from_refi",
    "plan_merge",
    "qdpx_bytes",
    "read_codebook_file",
    "read_qdpx_project",
]

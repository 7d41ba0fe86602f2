"""REFI-QDA and codebook spreadsheets in and out of a project (the XML lives in refi/).

Exports read the project and write one file. Imports read and check the whole file, map
it onto the project, and only then write: the database in one transaction, the YAML
codebook (written or merged, comments kept), and the data-loss report beside the project.
`codebooks.py` exchanges codebooks, `project_export.py` and `project_import.py` projects.
"""

from qualmine.project.interchange.codebooks import (
    ORIGIN,
    CodebookImport,
    export_codebook,
    import_codebook,
)
from qualmine.project.interchange.project_export import (
    ProjectExport,
    export_project,
    read_project_data,
)
from qualmine.project.interchange.project_import import (
    REPORT_PATH,
    ProjectImport,
    import_project,
)

__all__ = [
    "ORIGIN",
    "REPORT_PATH",
    "CodebookImport",
    "ProjectExport",
    "ProjectImport",
    "export_codebook",
    "export_project",
    "import_codebook",
    "import_project",
    "read_project_data",
]

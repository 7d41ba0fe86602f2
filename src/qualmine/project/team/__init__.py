"""Working as a team: blind copies for each coder, and merging their work back.

`clones.py` makes a blind copy for one coder, `merging.py` brings another copy's work in
(its docstring states the rule for rows already here), and `config_keys.py` sets keys
under [project] in qualmine.toml.
"""

from qualmine.project.team.clones import CloneReport, clone_project
from qualmine.project.team.config_keys import set_project_keys, set_report_coder
from qualmine.project.team.merging import (
    MERGE_REPORT,
    CodingKey,
    Conflict,
    MergeReport,
    UnmatchedDocument,
    merge_project,
)

__all__ = [
    "MERGE_REPORT",
    "CloneReport",
    "CodingKey",
    "Conflict",
    "MergeReport",
    "UnmatchedDocument",
    "clone_project",
    "merge_project",
    "set_project_keys",
    "set_report_coder",
]

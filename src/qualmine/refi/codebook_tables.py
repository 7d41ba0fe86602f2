"""Codebooks as spreadsheets (CSV, XLSX): qualmine's own and other programs' exports.

One reader takes them all by their header (case and spacing ignored):

- qualmine: ``id, name, parent, codable, color, definition, full_definition, include,
  exclude, examples`` (lists as ``- item`` lines inside a cell);
- ATLAS.ti code manager: ``Code, Groundedness, Density, Groups, Number of Groups,
  Comment, ...`` (UTF-8 with BOM); ``Groups`` is comma-joined and becomes sets;
- MAXQDA: ``Code, Memo``, sub-codes written ``Parent\\Child`` or ``Parent > Child``;
- NVivo: ``Name, Description, Files, References`` or ``Hierarchical Name``
  (``Codes\\\\Parent\\Child``);
- Taguette: ``tag, description, number of highlights`` (``parent`` when given).

Columns of counts and authorship are ignored and listed as such.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from qualmine.errors import InputFileError
from qualmine.models import Code, Codebook
from qualmine.refi.archive import ArchiveLimits, check_entries, normalize_zip, open_zip
from qualmine.refi.descriptions import (
    bullets,
    describe_code,
    example_bullets,
    read_bullets,
    read_example_bullets,
)
from qualmine.refi.guids import stable_guid
from qualmine.refi.records import Loss, RefiCode, RefiCodebook, RefiSet

COLUMNS = (
    "id",
    "name",
    "parent",
    "codable",
    "color",
    "definition",
    "full_definition",
    "include",
    "exclude",
    "examples",
)
_NAMES = ("hierarchical name", "name", "code", "tag", "path", "code name", "node")
_DESCRIPTIONS = ("definition", "description", "comment", "memo", "code memo")
_GROUPS = ("groups", "group", "code groups", "code group")
_FALSE = ("false", "no", "0", "n")
_TREE_PREFIX = re.compile(r"^(codes|nodes)\\+", re.IGNORECASE)


@dataclass(slots=True)
class _Layout:
    """Which column holds what, and how a name spells its place in the tree."""

    columns: dict[str, int]
    name: int
    separators: tuple[str, ...] = ()
    ignored: list[str] = field(default_factory=list)

    def get(self, row: list[str], key: str) -> str:
        index = self.columns.get(key, -1)
        return row[index].strip() if 0 <= index < len(row) else ""

    def raw(self, row: list[str], key: str) -> str:
        index = self.columns.get(key, -1)
        return row[index] if 0 <= index < len(row) else ""


def read_codebook_table(
    path: Path, limits: ArchiveLimits | None = None
) -> tuple[RefiCodebook, tuple[Loss, ...]]:
    """Read a codebook from a CSV or XLSX file of any of the layouts above.

    Returns:
        The codes and sets, and the columns that were ignored.

    Raises:
        InputFileError: unreadable file, no name column, or rows without a name.
    """
    rows = _xlsx_rows(path, limits) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
    return table_to_refi(rows, str(path))


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"cannot read ({exc.strerror})") from None
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _xlsx_rows(path: Path, limits: ArchiveLimits | None) -> list[list[str]]:
    with open_zip(path) as zf:
        check_entries(zf, path, limits or ArchiveLimits())
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise InputFileError(path, f"cannot read the workbook ({exc})") from None
    sheet = book.worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def table_to_refi(rows: list[list[str]], where: str) -> tuple[RefiCodebook, tuple[Loss, ...]]:
    """Rows (header first) as REFI-QDA codes and sets, and the columns left unread."""
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputFileError(where, "the table is empty", "the first row names the columns")
    layout = _layout(rows[0], where)
    builder = _Builder(layout)
    problems = [p for line, row in enumerate(rows[1:], start=2) if (p := builder.add(row, line))]
    if problems:
        shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
        raise InputFileError(where, f"{len(problems)} row(s) refused: {shown}")
    losses = tuple(
        Loss(f"Column {c!r}", 1, "not part of a qualmine codebook") for c in layout.ignored
    )
    return builder.result(), losses


def _layout(header: list[str], where: str) -> _Layout:
    names = [" ".join(h.replace("\ufeff", "").split()).lower() for h in header]
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        key = name.replace(" ", "_") if name.replace(" ", "_") in COLUMNS else name
        columns.setdefault(key, index)
    name_key = next((n for n in _NAMES if n in columns), None)
    if name_key is None:
        raise InputFileError(
            where, "no column names the codes", "expected one of: " + ", ".join(_NAMES)
        )
    for alias in _DESCRIPTIONS:
        if alias in columns:
            columns.setdefault("definition", columns[alias])
            break
    for alias in _GROUPS:
        if alias in columns:
            columns.setdefault("groups", columns[alias])
            break
    separators: tuple[str, ...] = ()
    if name_key == "hierarchical name":
        separators = ("\\",)
    elif name_key == "code" and "memo" in columns:
        separators = ("\\", ">")
    used = {columns[k] for k in (*COLUMNS, "groups", name_key) if k in columns}
    ignored = [header[i].strip() for i in range(len(header)) if i not in used and header[i].strip()]
    return _Layout(columns, columns[name_key], separators, ignored)


class _Builder:
    """Collects codes row by row; parents named in a column are resolved at the end."""

    def __init__(self, layout: _Layout) -> None:
        self.layout = layout
        self.codes: list[RefiCode] = []
        self.paths: dict[tuple[str, ...], str] = {}
        self.pending: list[tuple[int, str]] = []
        self.groups: dict[str, list[str]] = {}
        self.ids: dict[str, str] = {}

    def add(self, row: list[str], line: int) -> str:
        parts = self._path(row[self.layout.name] if self.layout.name < len(row) else "")
        if not parts:
            return f"line {line}: no code name"
        parent = self._container(parts[:-1])
        code = self._code(row, parts[-1], parent, line)
        self.paths.setdefault(tuple(parts), code.guid)
        self.codes.append(code)
        if self.layout.get(row, "parent") and parent is None:
            self.pending.append((len(self.codes) - 1, self.layout.get(row, "parent")))
        for group in (g.strip() for g in self.layout.get(row, "groups").split(",")):
            if group:
                self.groups.setdefault(group, []).append(code.guid)
        return ""

    def _path(self, name: str) -> list[str]:
        name = _TREE_PREFIX.sub("", name.strip()) if self.layout.separators else name.strip()
        for separator in self.layout.separators[1:]:
            name = name.replace(separator, self.layout.separators[0])
        if not self.layout.separators:
            return [name] if name else []
        return [p.strip() for p in name.split(self.layout.separators[0]) if p.strip()]

    def _container(self, parts: list[str]) -> str | None:
        parent: str | None = None
        for depth in range(1, len(parts) + 1):
            key = tuple(parts[:depth])
            if key not in self.paths:
                guid = stable_guid("table-container", *key)
                self.codes.append(RefiCode(guid, key[-1], codable=False, parent=parent))
                self.paths[key] = guid
            parent = self.paths[key]
        return parent

    def _code(self, row: list[str], name: str, parent: str | None, line: int) -> RefiCode:
        get = self.layout.get
        # qualmine's own tables (with ids) keep their text exactly; others are trimmed.
        text = self.layout.raw if "id" in self.layout.columns else get
        code = Code(
            id=get(row, "id"),
            name=name,
            definition=text(row, "definition"),
            full_definition=text(row, "full_definition"),
            include=read_bullets(self.layout.raw(row, "include")),
            exclude=read_bullets(self.layout.raw(row, "exclude")),
            examples=read_example_bullets(self.layout.raw(row, "examples")),
        )
        guid = stable_guid("table-row", str(line))
        if code.id:
            self.ids[code.id] = guid
        return RefiCode(
            guid=guid,
            name=name,
            codable=get(row, "codable").lower() not in _FALSE,
            color=get(row, "color"),
            description=describe_code(code),
            parent=parent,
        )

    def result(self) -> RefiCodebook:
        by_name = {c.name: c.guid for c in reversed(self.codes)}
        before: dict[int, list[RefiCode]] = {}
        for index, wanted in self.pending:
            target = self.ids.get(wanted) or by_name.get(wanted)
            if target is None:
                target = stable_guid("table-container", wanted)
                before.setdefault(index, []).append(RefiCode(target, wanted, codable=False))
                by_name[wanted] = target
            if not self._above(target, self.codes[index].guid):
                self.codes[index] = replace(self.codes[index], parent=target)
        codes = [c for i, code in enumerate(self.codes) for c in (*before.get(i, []), code)]
        sets = tuple(
            RefiSet(stable_guid("table-group", name), name, codes=tuple(members))
            for name, members in self.groups.items()
        )
        return RefiCodebook(tuple(codes), sets)

    def _above(self, start: str, code: str) -> bool:
        """True when ``code`` is ``start`` or one of its parents (a cycle would form)."""
        parents = {c.guid: c.parent for c in self.codes}
        seen: set[str] = set()
        at: str | None = start
        while at is not None and at not in seen:
            if at == code:
                return True
            seen.add(at)
            at = parents.get(at)
        return False


def codebook_rows(book: Codebook) -> list[list[str]]:
    """The codebook as rows under ``COLUMNS`` (header first), in codebook order."""
    rows = [list(COLUMNS)]
    for c in book.codes:
        rows.append(
            [
                c.id,
                c.name,
                c.parent or "",
                "true" if c.codable else "false",
                c.color,
                c.definition,
                c.full_definition,
                bullets(c.include),
                bullets(c.exclude),
                example_bullets(c.examples),
            ]
        )
    return rows


def codebook_csv(book: Codebook) -> str:
    """The codebook as CSV text (``\\n`` line ends)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(codebook_rows(book))
    return out.getvalue()


def codebook_xlsx(book: Codebook) -> bytes:
    """The codebook as an XLSX workbook, byte-for-byte the same for the same codebook."""
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    fixed = datetime(2000, 1, 1)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    workbook.properties.creator = "qualmine"
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "codebook"
    for row in codebook_rows(book):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return normalize_zip(buffer.getvalue())

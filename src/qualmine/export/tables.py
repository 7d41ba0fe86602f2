"""A table with the facts that make it honest (unit, denominator, coders, filters), and its
renderings. Every rendering is deterministic: same table, same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from qualmine.models import Table

FORMATS = ("table", "csv", "xlsx", "md", "json")
_FIXED_TIME = datetime(2000, 1, 1)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN: not computed, said in the table's meta
            return ""
        return f"{value:.3f}"
    return str(value)


def to_csv(table: Table) -> str:
    """The rows as CSV with a header line (meta is left to the JSON and XLSX forms)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([[_cell(v) for v in row] for row in table.rows])
    return out.getvalue()


def to_markdown(table: Table) -> str:
    """A Markdown section: title, the meta statements, a pipe table."""
    lines = [f"## {table.title}", ""]
    lines += [f"- {k}: {v}" for k, v in table.meta.items()]
    if table.meta:
        lines.append("")
    lines.append("| " + " | ".join(table.columns) + " |")
    lines.append("|" + "---|" * len(table.columns))
    for row in table.rows:
        cells = [_cell(v).replace("|", "\\|").replace("\n", " ") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_json(table: Table) -> str:
    """A JSON object: title, meta, columns, rows as objects."""
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    data = {"title": table.title, "meta": table.meta, "columns": list(table.columns), "rows": rows}
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def to_xlsx(tables: Sequence[Table], path: Path) -> None:
    """One sheet per table plus an `about` sheet of their meta; fixed dates, same bytes."""
    from openpyxl import Workbook

    book = Workbook()
    book.properties.created = _FIXED_TIME
    book.properties.modified = _FIXED_TIME
    book.properties.creator = "qualmine"
    about = book.active
    assert about is not None
    about.title = "about"
    about.append(["table", "statement", "value"])
    for number, table in enumerate(tables, start=1):
        sheet = book.create_sheet(_sheet_name(table.title, number))
        sheet.append(list(table.columns))
        for row in table.rows:
            sheet.append([v if isinstance(v, int | float) or v is None else str(v) for v in row])
        for key, value in table.meta.items():
            about.append([sheet.title, key, value])
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_normalize_zip(buffer.getvalue()))


def _sheet_name(title: str, number: int) -> str:
    clean = "".join(c for c in title if c not in "[]:*?/\\")[:28]
    return f"{number} {clean}"[:31]


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry times and a fixed modification date in its document
    properties (openpyxl stamps the save time), so identical content gives identical bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", content)
            target.writestr(fixed, content)
    return out.getvalue()


def render_table(table: Table, fmt: str) -> str:
    """A text rendering (csv, md or json)."""
    renderers = {"csv": to_csv, "md": to_markdown, "json": to_json}
    return renderers[fmt](table)


def write_table(tables: Sequence[Table], fmt: str, path: Path) -> None:
    """Write tables to a file in a format (several tables: sections or sheets)."""
    if fmt == "xlsx":
        to_xlsx(tables, path)
        return
    joiner = "\n" if fmt != "json" else ""
    if fmt == "json" and len(tables) > 1:
        text = (
            json.dumps([json.loads(to_json(t)) for t in tables], indent=2, ensure_ascii=False)
            + "\n"
        )
    else:
        text = joiner.join(render_table(t, fmt) for t in tables)
    path.write_text(text, encoding="utf-8", newline="\n")

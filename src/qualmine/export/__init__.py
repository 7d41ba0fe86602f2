"""Results to files: tables as CSV, XLSX, Markdown and JSON."""

from qualmine.export.tables import FORMATS, render_table, write_table
from qualmine.models import Table

__all__ = ["FORMATS", "Table", "render_table", "write_table"]

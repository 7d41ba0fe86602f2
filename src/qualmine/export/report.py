"""The self-contained HTML report: one page, styles and figures inline, no network.

Sections hold tables (rendered with their meta statements) and figures (inline SVG).
The same sections give the same bytes.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from qualmine.models import Table

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;
background:#fff;line-height:1.45}
header{background:#22313f;color:#fff;padding:1.5rem 2rem}header h1{margin:0 0 .3rem}
header p{margin:.2rem 0;opacity:.9}.notice{background:#fff4ce;color:#4a3b00;padding:.7rem 2rem;
border-bottom:1px solid #e6d48a;font-weight:600}
nav{padding:.8rem 2rem;border-bottom:1px solid #ddd;font-size:.9rem}nav a{margin-right:1rem}
main{padding:1rem 2rem 3rem;max-width:1400px}section{margin:2rem 0}
h2{border-bottom:2px solid #22313f;padding-bottom:.2rem}h3{margin:1.4rem 0 .4rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1rem;max-width:100%}
th,td{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top;text-align:left}
th{background:#eef1f4;position:sticky;top:0}tr:nth-child(even) td{background:#fafafa}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.meta{font-size:.8rem;color:#444;margin:.2rem 0 .4rem;padding-left:1rem}
.meta li{margin:.1rem 0}figure{margin:1rem 0}figure svg{max-width:100%;height:auto}
.scroll{overflow-x:auto}p.intro{max-width:60rem}
@media print{nav{display:none}th{position:static}section{page-break-inside:avoid}
.scroll{overflow:visible}}
"""


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the report."""

    id: str
    title: str
    intro: str = ""
    tables: tuple[Table, ...] = ()
    figures: tuple[tuple[str, str], ...] = ()  # (caption, svg markup)
    html_parts: tuple[str, ...] = field(default_factory=tuple)


def _cell(value: object) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, float):
        text = "" if value != value else f"{value:.3f}"
        return f'<td class="num">{text}</td>'
    if isinstance(value, int):
        return f'<td class="num">{value}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def table_html(table: Table, *, max_rows: int = 500) -> str:
    """A table with its title and meta statements."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    rows = table.rows[:max_rows]
    body = "\n".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    meta = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in table.meta.items()
    )
    more = (
        f"<p class='meta'>{len(table.rows) - max_rows} more rows in the CSV export</p>"
        if len(table.rows) > max_rows
        else ""
    )
    return (
        f"<h3>{html.escape(table.title)}</h3><ul class='meta'>{meta}</ul>"
        f"<div class='scroll'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>{more}"
    )


def _strip_xml_header(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def section_html(section: Section) -> str:
    """One section."""
    parts = [f"<section id='{html.escape(section.id)}'><h2>{html.escape(section.title)}</h2>"]
    if section.intro:
        parts.append(f"<p class='intro'>{html.escape(section.intro)}</p>")
    parts.extend(section.html_parts)
    for caption, svg in section.figures:
        parts.append(
            f"<figure>{_strip_xml_header(svg)}<figcaption>{html.escape(caption)}"
            "</figcaption></figure>"
        )
    parts.extend(table_html(t) for t in section.tables)
    parts.append("</section>")
    return "\n".join(parts)


def render_report(
    title: str, subtitle: Sequence[str], notice: str, sections: Sequence[Section]
) -> str:
    """The whole page."""
    nav = " ".join(f"<a href='#{html.escape(s.id)}'>{html.escape(s.title)}</a>" for s in sections)
    lines = "".join(f"<p>{html.escape(line)}</p>" for line in subtitle)
    notice_html = f"<div class='notice'>{html.escape(notice)}</div>" if notice else ""
    body = "\n".join(section_html(s) for s in sections)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1>{lines}</header>{notice_html}"
        f"<nav>{nav}</nav><main>{body}</main></body></html>\n"
    )

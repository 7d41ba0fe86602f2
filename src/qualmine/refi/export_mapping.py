"""ProjectData -> a REFI-QDA project and the files of its ``sources`` folder.

Every GUID is a uuid5 of what identifies the thing (a document's name, a code's id, a
coding's span, code and coder), so two exports of the same project are identical and
exports of a changed project differ only where it changed. Only accepted codings of codes
in the codebook become ``Coding`` elements; the rest travel in the qualmine note.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from qualmine.models import Coding
from qualmine.refi.codebook_convert import code_guid, codebook_to_refi
from qualmine.refi.extras import EXTRAS_NOTE, extras_text
from qualmine.refi.guids import stable_guid
from qualmine.refi.records import (
    DocumentData,
    Memo,
    ProjectData,
    RefiCase,
    RefiCodebook,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSource,
    RefiValue,
    RefiVariable,
)

_DATETIME = re.compile(r"-?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
_INTEGER = re.compile(r"-?(0|[1-9]\d*)")
_DECIMAL = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_CODING_FIELDS = ("reviewer", "score", "evidence", "codebook_version", "pending")


def source_guid(name: str) -> str:
    """The GUID of a document's ``TextSource``."""
    return stable_guid("source", name)


def user_guid(name: str) -> str:
    """The GUID of a coder's ``User``."""
    return stable_guid("user", name)


def coding_guid(document: str, coding: Coding) -> str:
    """The GUID of a coding: its document, span, code and coder."""
    return stable_guid(
        "coding", document, str(coding.start), str(coding.end), coding.code, coding.coder
    )


def is_exported(coding: Coding, codes: set[str]) -> bool:
    """Whether a coding becomes a ``Coding`` element (else it lives in the qualmine note)."""
    return coding.status == "accepted" and coding.code in codes


def project_to_refi(data: ProjectData, origin: str) -> tuple[RefiProject, dict[str, bytes]]:
    """A project as REFI-QDA, and the archive entries of its text sources and notes."""
    return _Exporter(data, origin).run()


class _Exporter:
    """Builds the project in one pass; NoteRefs are collected as the notes are made."""

    def __init__(self, data: ProjectData, origin: str) -> None:
        self.data = data
        self.origin = origin
        self.codes = {c.id for c in data.codebook.codes} if data.codebook else set()
        self.files: dict[str, bytes] = {}
        self.notes: list[RefiNote] = []
        self.refs: dict[str, list[str]] = {}
        self.extras: dict[str, Any] = {}
        self.guids = [coding_guid(data.documents[c.document_id].name, c) for c in data.codings]
        self.by_document: dict[int, list[tuple[int, Coding]]] = {}
        for item in enumerate(data.codings):
            self.by_document.setdefault(item[1].document_id, []).append(item)

    def run(self) -> tuple[RefiProject, dict[str, bytes]]:
        self._memos()
        sources = [self._source(i, d) for i, d in enumerate(self.data.documents)]
        self._other_codings()
        self.extras["done"] = [
            [source_guid(self.data.documents[i].name), coder, when]
            for i, coder, when in self.data.done or ()
        ]
        variables, cases = _cases(self.data, self.extras)
        codebook = self._codebook()
        self._extras_note()
        project = RefiProject(
            name=self.data.name,
            origin=self.origin,
            users={user_guid(n): n for n in _coders(self.data)},
            codebook=replace(codebook, sets=()),
            variables=variables,
            cases=cases,
            sources=tuple(sources),
            notes=tuple(self.notes),
            sets=codebook.sets,
            note_refs=tuple(self.refs.get("", [])),
        )
        return project, self.files

    def _codebook(self) -> RefiCodebook:
        if self.data.codebook is None:
            return RefiCodebook(())
        book = codebook_to_refi(self.data.codebook, self.origin)
        self.extras["codebook"] = {
            "name": self.data.codebook.name,
            "format_version": self.data.codebook.format_version,
            "changelog": [
                {k: getattr(e, k) for k in ("date", "coder", "action", "detail", "reason")}
                for e in self.data.codebook.changelog
            ],
        }
        codes = tuple(
            replace(c, note_refs=tuple(self.refs.get(f"code:{c.guid}", []))) for c in book.codes
        )
        return replace(book, codes=codes)

    def _note(self, key: str, note: RefiNote) -> str:
        self.notes.append(note)
        self.refs.setdefault(key, []).append(note.guid)
        return note.guid

    def _memos(self) -> None:
        seen: Counter[tuple[str, ...]] = Counter()
        memos: dict[str, dict[str, str]] = {}
        for memo in self.data.memos:
            key, target = self._memo_place(memo)
            ident = (memo.kind, target, memo.coder, memo.created, memo.text)
            seen[ident] += 1
            guid = stable_guid("memo", *ident, str(seen[ident]))
            memos[guid] = {"kind": memo.kind, "target": target}
            self._note(
                key, _text_note(guid, f"{memo.kind.capitalize()} memo by {memo.coder}", memo)
            )
        self.extras["memos"] = memos

    def _memo_place(self, memo: Memo) -> tuple[str, str]:
        """Where a memo's NoteRef goes, and its target as the qualmine note records it."""
        if memo.kind == "document":
            return f"source:{source_guid(memo.target)}", memo.target
        if memo.kind == "code":
            return f"code:{code_guid(memo.target)}", memo.target
        if memo.kind == "coding" and memo.target.isdigit() and int(memo.target) < len(self.guids):
            guid = self.guids[int(memo.target)]
            coding = self.data.codings[int(memo.target)]
            key = f"coding:{guid}" if is_exported(coding, self.codes) else ""
            return key, guid
        return "", memo.target

    def _source(self, index: int, document: DocumentData) -> RefiSource:
        guid = source_guid(document.name)
        self.files[f"sources/{guid}.txt"] = document.text.encode("utf-8")
        self._timestamps(guid, document)
        self.extras.setdefault("documents", {})[guid] = _document_extras(document)
        mine = [(i, c) for i, c in self.by_document.get(index, []) if is_exported(c, self.codes)]
        spans: dict[tuple[int, int], list[tuple[int, Coding]]] = {}
        for item in sorted(mine, key=lambda p: (p[1].start, p[1].end, p[1].code, p[1].coder)):
            spans.setdefault((item[1].start, item[1].end), []).append(item)
        selections = tuple(self._selection(document, span, items) for span, items in spans.items())
        return RefiSource(
            guid=guid,
            name=document.name,
            plain_path=f"internal://{guid}.txt",
            selections=selections,
            note_refs=tuple(self.refs.get(f"source:{guid}", [])),
        )

    def _selection(
        self, document: DocumentData, span: tuple[int, int], items: list[tuple[int, Coding]]
    ) -> RefiSelection:
        codings = tuple(self._coding(i, c) for i, c in items)
        first = min((c for _, c in items), key=lambda c: (c.created, c.coder))
        return RefiSelection(
            guid=stable_guid("selection", document.name, str(span[0]), str(span[1])),
            start=span[0],
            end=span[1],
            name=" ".join(document.text[span[0] : span[1]].split())[:80],
            user=user_guid(first.coder),
            created=first.created if _DATETIME.fullmatch(first.created) else "",
            codings=codings,
        )

    def _coding(self, index: int, coding: Coding) -> RefiCoding:
        guid = self.guids[index]
        fields = {k: getattr(coding, k) for k in _CODING_FIELDS if getattr(coding, k)}
        if not _DATETIME.fullmatch(coding.created):
            fields["created"] = coding.created
        if fields:
            self.extras.setdefault("codings", {})[guid] = fields
        if coding.memo:
            memo = Memo("coding", "", coding.coder, coding.memo, coding.created)
            note = _text_note(
                stable_guid("coding-memo", guid), f"Coding memo by {coding.coder}", memo
            )
            self._note(f"coding:{guid}", note)
            self.extras.setdefault("coding_memos", []).append(note.guid)
        return RefiCoding(
            guid=guid,
            code=code_guid(coding.code),
            user=user_guid(coding.coder),
            created=coding.created if _DATETIME.fullmatch(coding.created) else "",
            note_refs=tuple(self.refs.get(f"coding:{guid}", [])),
        )

    def _other_codings(self) -> None:
        rows = []
        for guid, coding in zip(self.guids, self.data.codings, strict=True):
            if is_exported(coding, self.codes):
                continue
            row: dict[str, Any] = {
                "guid": guid,
                "source": source_guid(self.data.documents[coding.document_id].name),
                **{k: getattr(coding, k) for k in ("start", "end", "quote", "code", "coder")},
                **{k: getattr(coding, k) for k in (*_CODING_FIELDS, "status", "created", "memo")},
            }
            rows.append({k: v for k, v in row.items() if v not in ("", None)})
        self.extras["other_codings"] = rows

    def _timestamps(self, guid: str, document: DocumentData) -> None:
        lines = [
            f"{t.timestamp}\t{t.speaker or '(no speaker)'}\tcharacters {t.start}-{t.end}"
            for t in document.turns or ()
            if t.timestamp
        ]
        if lines:
            note_guid = stable_guid("timestamps", document.name)
            memo = Memo("document", document.name, "", "\n".join(lines) + "\n")
            self._note(
                f"source:{guid}", _text_note(note_guid, f"Turn timestamps: {document.name}", memo)
            )
            self.extras.setdefault("timestamp_notes", []).append(note_guid)

    def _extras_note(self) -> None:
        guid = stable_guid("note", EXTRAS_NOTE)
        self.files[f"sources/{guid}.txt"] = extras_text(self.extras).encode("utf-8")
        note = RefiNote(guid, EXTRAS_NOTE, plain_path=f"internal://{guid}.txt")
        self._note("", note)


def _text_note(guid: str, name: str, memo: Memo) -> RefiNote:
    return RefiNote(
        guid=guid,
        name=name,
        text=memo.text,
        user=user_guid(memo.coder) if memo.coder else "",
        created=memo.created if _DATETIME.fullmatch(memo.created) else "",
    )


def _document_extras(document: DocumentData) -> dict[str, Any]:
    return {
        "name": document.name,
        "sha256": hashlib.sha256(document.text.encode("utf-8")).hexdigest(),
        "encoding": document.encoding,
        "metadata": document.metadata,
        "turns": [list(_turn_row(t)) for t in document.turns or ()],
        "segments": [[s.turn_index, s.index, s.start, s.end] for s in document.segments or ()],
    }


def _turn_row(turn: Any) -> Iterable[Any]:
    return (
        turn.index,
        turn.speaker,
        turn.speaker_role,
        turn.start,
        turn.end,
        turn.timestamp,
        turn.case,
    )


def _coders(data: ProjectData) -> list[str]:
    names = {c.coder for c in data.codings} | {m.coder for m in data.memos}
    names |= {coder for _, coder, _ in data.done or ()}
    return sorted(n for n in names if n)


def _cases(
    data: ProjectData, extras: dict[str, Any]
) -> tuple[tuple[RefiVariable, ...], tuple[RefiCase, ...]]:
    names = sorted({k for attrs in data.cases.values() for k in attrs})
    kinds = {n: value_kind([str(a.get(n, "")) for a in data.cases.values()]) for n in names}
    variables = tuple(RefiVariable(stable_guid("variable", n), n, kinds[n]) for n in names)
    guids = {v.name: v.guid for v in variables}
    spoken: dict[str, list[str]] = {}
    for document in data.documents:
        for case in sorted({t.case for t in document.turns or () if t.case}):
            spoken.setdefault(case, []).append(source_guid(document.name))
    cases = []
    blanks: dict[str, list[str]] = {}
    for case_id, attrs in sorted(data.cases.items()):
        values = tuple(
            RefiValue(guids[k], kinds[k], str(v)) for k, v in sorted(attrs.items()) if str(v) != ""
        )
        blank = sorted(k for k, v in attrs.items() if str(v) == "")
        if blank:
            blanks[case_id] = blank
        guid = stable_guid("case", case_id)
        cases.append(RefiCase(guid, case_id, values=values, sources=tuple(spoken.get(case_id, []))))
    extras["blank_attributes"] = blanks
    return variables, tuple(cases)


def value_kind(values: list[str]) -> str:
    """The ``typeOfVariable`` under which every (non-empty) value reads back as written."""
    given = [v for v in values if v != ""]
    if not given:
        return "Text"
    if all(v in ("true", "false") for v in given):
        return "Boolean"
    if all(_INTEGER.fullmatch(v) for v in given):
        return "Integer"
    if all(_DECIMAL.fullmatch(v) for v in given):
        return "Float"
    if all(_DATE.fullmatch(v) and _is_date(v) for v in given):
        return "Date"
    return "Text"


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True

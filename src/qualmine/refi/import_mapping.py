"""A REFI-QDA project -> ProjectData for qualmine, with a data-loss report.

Files qualmine wrote carry the qualmine note, and come back whole: turns, segments,
statuses, reviewers, done-marks, memo targets. Other programs' files bring their text
sources, codes, codings, memos and cases; whatever has no place in qualmine is counted
in the report with the reason.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from typing import Any

from qualmine.models import ChangelogEntry, Codebook, Coding, Segment, Turn
from qualmine.refi.codebook_convert import codebook_from_refi
from qualmine.refi.extras import EXTRAS_NOTE, entries, read_extras, section
from qualmine.refi.records import (
    DocumentData,
    ImportedProject,
    Loss,
    Memo,
    ProjectData,
    RefiCodebook,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSource,
)

UNKNOWN_CODER = "unknown"
_DOCUMENT_SUFFIXES = (".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf", ".md")
_KINDS = {"text": "Text", "pdf": "PDF", "picture": "Picture", "audio": "Audio", "video": "Video"}
_CHANGELOG_KEYS = ("date", "coder", "action", "detail", "reason")
_CODING_FIELDS = ("reviewer", "score", "evidence", "codebook_version", "pending", "created")


def project_from_refi(project: RefiProject) -> ImportedProject:
    """Read a REFI-QDA project into qualmine's terms (nothing is stored here)."""
    return _Importer(project).run()


class _Importer:
    """Walks the project once, in document order; losses are counted as they occur."""

    def __init__(self, project: RefiProject) -> None:
        self.project = project
        self.extras_note = next(
            (n for n in project.notes if n.name == EXTRAS_NOTE and read_extras(n.text)), None
        )
        self.extras = read_extras(self.extras_note.text) if self.extras_note else None
        self.losses: Counter[tuple[str, str]] = Counter()
        self.documents: list[DocumentData] = []
        self.by_source: dict[str, int] = {}
        self.codings: list[Coding] = []
        self.by_coding: dict[str, int] = {}
        self.seen: set[tuple[int, int, int, str, str]] = set()
        self.places: dict[str, tuple[str, str]] = {}
        self.code_ids: dict[str, str] = {}
        self.loose_memos: list[Memo] = []
        creator = project.users.get(project.creating_user, "")
        self.default_coder = creator or UNKNOWN_CODER

    def run(self) -> ImportedProject:
        codebook = self._codebook()
        for ref in self.project.note_refs:
            self.places.setdefault(ref, ("project", ""))
        for source in self.project.sources:
            self._source(source)
        self._other_codings()
        self._skipped()
        memos = self._notes()
        data = ProjectData(
            name=self.project.name,
            codebook=codebook,
            documents=tuple(self._with_cases()),
            codings=tuple(self.codings),
            memos=tuple(memos),
            done=self._done(),
            cases=self._cases(),
        )
        losses = tuple(Loss(e, n, why) for (e, why), n in sorted(self.losses.items()) if n)
        return ImportedProject(data, losses, self.extras is not None)

    def lose(self, element: str, why: str, count: int = 1) -> None:
        self.losses[(element, why)] += count

    def _codebook(self) -> Codebook | None:
        code_sets = tuple(s for s in self.project.sets if s.codes)
        for each in self.project.sets:
            if each.sources or each.notes:
                self.lose("Set of sources or notes", "qualmine has no document groups")
        if not self.project.codebook.codes:
            return None
        about = section(self.extras, "codebook")
        name = str(about.get("name") or self.project.name or "Imported codebook")
        book, self.code_ids, losses = codebook_from_refi(
            RefiCodebook(self.project.codebook.codes, code_sets), name
        )
        for loss in losses:
            self.lose(loss.element, loss.why, loss.count)
        for code in self.project.codebook.codes:
            for ref in code.note_refs:
                self.places.setdefault(ref, ("code", self.code_ids[code.guid]))
        changelog = tuple(
            ChangelogEntry(*(str(e.get(k, "")) for k in _CHANGELOG_KEYS))
            for e in entries(about, "changelog")
            if isinstance(e, dict)
        )
        version = about.get("format_version")
        version = version if isinstance(version, int) else book.format_version
        return replace(book, changelog=changelog, format_version=version)

    def _coder(self, *users: str) -> str:
        for user in users:
            if user and user in self.project.users:
                return self.project.users[user]
        return self.default_coder

    def _source(self, source: RefiSource) -> None:
        if source.text is None:
            self.lose(f"{_KINDS.get(source.kind, source.kind)} source", source.problem)
            lost = len(source.codings) + sum(len(s.codings) for s in source.selections)
            self.lose("Coding", f"on a source that was not read ({source.kind})", lost)
            return
        index = len(self.documents)
        self.by_source[source.guid] = index
        self.documents.append(self._document(source))
        for ref in source.note_refs:
            self.places.setdefault(ref, ("document", self.documents[index].name))
        if source.rich_path:
            self.lose("Formatted copy of a text source", "the plain text is kept, not the file")
        if source.other_selections:
            self.lose("PDF selection", "an area of a page, not text", source.other_selections)
        for selection in source.selections:
            self._selection(index, selection)
        whole = RefiSelection("", 0, len(source.text), codings=source.codings)
        for coding in source.codings if source.text else ():
            self._coding(index, whole, coding)

    def _document(self, source: RefiSource) -> DocumentData:
        text = source.text or ""
        name = _unique(_document_name(source.name), {d.name for d in self.documents})
        kept = section(section(self.extras, "documents"), source.guid)
        variables = {
            v.name: value.value
            for value in source.values
            for v in self.project.variables
            if v.guid == value.variable
        }
        metadata: dict[str, Any] = {"variables": variables} if variables else {}
        if source.description:
            metadata["description"] = source.description
        if not kept or kept.get("sha256") != hashlib.sha256(text.encode()).hexdigest():
            return DocumentData(name, text, metadata=metadata)
        turns, segments = _structure(kept, len(text))
        if turns is None:
            self.lose("Turns of a qualmine document", "did not fit its text; parsed again")
        return DocumentData(
            name=str(kept.get("name", name)),
            text=text,
            turns=turns,
            segments=segments,
            metadata=kept.get("metadata") or metadata,
            encoding=str(kept.get("encoding", "utf-8")),
        )

    def _selection(self, index: int, selection: RefiSelection) -> None:
        text = self.documents[index].text
        if not 0 <= selection.start < selection.end <= len(text):
            self.lose("Selection", "its offsets lie outside the text")
            self.lose("Coding", "its selection lies outside the text", len(selection.codings))
            return
        first = len(self.codings)
        for coding in selection.codings:
            self._coding(index, selection, coding)
        target = ("coding", str(first)) if len(self.codings) > first else None
        for ref in selection.note_refs:
            self.places.setdefault(ref, target or ("document", self.documents[index].name))
        if not selection.codings:
            self.lose("Selection without codings", "qualmine keeps codings, not bare selections")
        if selection.description:
            self.loose_memos.append(
                Memo(
                    *(target or ("document", self.documents[index].name)),
                    coder=self._coder(selection.user),
                    text=f"{selection.name}\n\n{selection.description}".strip(),
                    created=selection.created,
                )
            )

    def _coding(self, index: int, selection: RefiSelection, coding: RefiCoding) -> None:
        code = self.code_ids.get(coding.code)
        if code is None:
            self.lose("Coding", "its code is not in the codebook")
            return
        fields = section(section(self.extras, "codings"), coding.guid)
        made = Coding(
            id=0,
            document_id=index,
            start=selection.start,
            end=selection.end,
            quote=self.documents[index].text[selection.start : selection.end],
            code=code,
            coder=self._coder(coding.user, selection.user),
            created=coding.created or selection.created,
            **{k: fields[k] for k in _CODING_FIELDS if k in fields},
        )
        if self._add(made, coding.guid):
            for ref in coding.note_refs:
                self.places.setdefault(ref, ("coding", str(len(self.codings) - 1)))

    def _add(self, coding: Coding, guid: str = "") -> bool:
        key = (coding.document_id, coding.start, coding.end, coding.code, coding.coder)
        if key in self.seen:
            self.lose("Coding", "the same code by the same coder on the same text twice")
            return False
        self.seen.add(key)
        if guid:
            self.by_coding.setdefault(guid, len(self.codings))
        self.codings.append(coding)
        return True

    def _other_codings(self) -> None:
        for row in entries(self.extras, "other_codings"):
            index = (
                self.by_source.get(str(row.get("source", ""))) if isinstance(row, dict) else None
            )
            if index is None:
                continue
            keys = (*_CODING_FIELDS, "status", "memo", "start", "end", "quote", "code", "coder")
            coding = Coding(id=0, document_id=index, **{k: row[k] for k in keys if k in row})
            self._add(coding, str(row.get("guid", "")))

    def _notes(self) -> list[Memo]:
        memos: list[Memo] = list(self.loose_memos)
        kept = section(self.extras, "memos")
        skip = set(entries(self.extras, "timestamp_notes"))
        coding_memos = set(entries(self.extras, "coding_memos"))
        for note in self.project.notes:
            if note is self.extras_note or note.guid in skip:
                continue
            if note.text is None:
                self.lose("Note", note.problem)
                continue
            if note.guid in coding_memos and self._coding_memo(note):
                continue
            memos.append(self._memo(note, section(kept, note.guid)))
        return memos

    def _coding_memo(self, note: RefiNote) -> bool:
        kind, target = self.places.get(note.guid, ("", ""))
        if kind != "coding":
            return False
        index = int(target)
        self.codings[index] = replace(self.codings[index], memo=note.text or "")
        return True

    def _memo(self, note: RefiNote, kept: dict[str, Any]) -> Memo:
        coder = self._coder(note.user) if note.user else self.default_coder
        if kept:
            kind, target = str(kept.get("kind", "project")), str(kept.get("target", ""))
            if kind == "coding":
                target = str(self.by_coding.get(target, target))
            return Memo(kind, target, coder, note.text or "", note.created)
        kind, target = self.places.get(note.guid, ("project", ""))
        parts = [note.name, note.description, note.text or ""]
        text = "\n\n".join(p.strip() for p in parts if p and p.strip())
        return Memo(kind, target, coder, text, note.created)

    def _done(self) -> tuple[tuple[int, str, str], ...] | None:
        if self.extras is None:
            return None
        marks = []
        for row in entries(self.extras, "done"):
            if isinstance(row, list) and len(row) == 3 and row[0] in self.by_source:
                marks.append((self.by_source[row[0]], str(row[1]), str(row[2])))
        return tuple(marks)

    def _cases(self) -> dict[str, dict[str, str]]:
        names = {v.guid: v.name for v in self.project.variables}
        blanks = section(self.extras, "blank_attributes")
        cases: dict[str, dict[str, str]] = {}
        for case in self.project.cases:
            attrs = cases.setdefault(case.name, {})
            attrs.update({names[v.variable]: v.value for v in case.values if v.variable in names})
            attrs.update(dict.fromkeys(blanks.get(case.name, []), ""))
            if case.description:
                self.lose("Case description", "qualmine cases hold attributes only")
            if case.selections or case.codes:
                self.lose("Case link to selections or codes", "qualmine links cases to turns")
        return cases

    def _with_cases(self) -> list[DocumentData]:
        """Other programs' documents with the case that alone refers to them."""
        named: dict[int, list[str]] = {}
        for case in self.project.cases:
            for source in case.sources:
                if source in self.by_source:
                    named.setdefault(self.by_source[source], []).append(case.name)
        out = []
        for index, document in enumerate(self.documents):
            cases = named.get(index, [])
            if document.turns is None and len(cases) == 1:
                document = replace(document, case=cases[0])
            elif document.turns is None and len(cases) > 1:
                self.lose("Case link to a source", "several cases in one source: turns unknown")
            out.append(document)
        return out

    def _skipped(self) -> None:
        for tag, count in self.project.skipped.items():
            self.lose(tag, "qualmine has no place for it", count)
        if self.project.description and self.extras is None:
            self.loose_memos.append(
                Memo("project", "", self.default_coder, self.project.description)
            )


def _structure(
    kept: dict[str, Any], length: int
) -> tuple[tuple[Turn, ...] | None, tuple[Segment, ...] | None]:
    try:
        turns = tuple(Turn(*row) for row in kept.get("turns", []))
        segments = tuple(Segment(*row) for row in kept.get("segments", []))
    except TypeError:
        return None, None
    spans = [(t.start, t.end) for t in turns] + [(s.start, s.end) for s in segments]
    if any(
        not (isinstance(a, int) and isinstance(b, int) and 0 <= a <= b <= length) for a, b in spans
    ):
        return None, None
    return turns, segments


def _document_name(name: str) -> str:
    stem = name.strip()
    if stem.lower().endswith(_DOCUMENT_SUFFIXES):
        stem = stem.rsplit(".", 1)[0]
    return stem or "document"


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name} ({number})"
    return candidate

"""Pseudonymisation: replace names, e-mail addresses, phone numbers, URLs and organisations.

What is found:
- people the project names itself: speaker labels, case ids, case attributes in a name
  column (``name``, ``pseudonym``, ``speaker``, ``label``, ``full_name``, ...), and the
  ``--names`` list. Each is also found as first + last name, without middle initials,
  after a title (Dr., Mr., Ms. ...), with a hyphenated surname written with a space, in
  the plural ("the Johnsons"), and by surname alone when it is not an ordinary English word
  (spaCy's English lookup lemmatizer table is the word list: "Horowitz" alone goes, "Lee"
  or "Butler" alone stay); a given name alone only when one known person has it;
- other people, by a heuristic: two or more capitalised words not at the start of a
  sentence, with no word such as Center, Space, University or a month, of which one is not
  an ordinary English word or which follow "by", "with", "and" ... ("assisted by Carol
  Butler" is found, "Carl Walz was" at a sentence start is not); one or more capitalised
  words after a title; and a spaCy NER pipeline's PERSON entities where one is installed
  (never needed);
- organisations from the ``--orgs`` list, e-mail addresses, phone numbers (international
  ``+...``, North American 3-3-4, national numbers starting with 0) and URLs.
Matching ignores case but wants a capital first letter. Not found: names spelt out letter
by letter, nicknames that are ordinary words ("Bob"), names written in lower case. The
heuristic errs towards hiding: some places and titles become [PERSON-n] too.

Pseudonyms are consistent across the project: participants become their case id when it is
not itself a name (``P03``), else ``P01``, ``P02`` ... in order of appearance; other people
``[PERSON-1]``, organisations ``[ORG-1]``, and ``[EMAIL-1]``, ``[PHONE-1]``, ``[URL-1]``;
a number already used in the project's text is skipped.

What is rewritten, in one transaction: every text column of every table (document text,
names, sources and metadata, speaker labels, case ids and attributes, memos, codebook
snapshots, run parameters, topic words and results, the audit log's targets and payloads,
JSON keys included), except coder names, code ids and machine values (hashes, times,
statuses). Every offset into a document (turns, segments, codings, run scores, topic
assignments) moves by the length changes before it, and the codings' quote copies are cut
again from the new text, so codings keep pointing at the same words. The embedding cache is
emptied (it is derived, and holds vectors of the old text); the text-free parts of run
scores stay.

The audit log is append-only by trigger. The redaction drops the database's triggers inside
its transaction, rewrites the log's payloads, recreates the triggers from their stored SQL
before committing, and appends one entry that says only that a redaction ran (its id and
how many spans). Then the file is vacuumed (secure_delete on, WAL truncated) so that no old
page keeps a name.

The key file (JSON: pseudonym -> original, and every replacement's place so that
``--reverse`` restores the text byte for byte) lies outside the project folder, is readable
by its owner only, is never overwritten, and is written before the change commits (and
removed if it does not). The transcript files on disk are not touched: re-importing them
would bring the names back.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from qualmine.errors import InputFileError, ProjectError, QualmineError
from qualmine.project.config import Project
from qualmine.storage import transaction
from qualmine.storage.audit import now, record

KEY_FORMAT = "qualmine-redaction-key"
KEY_VERSION = 1
COMMAND = "redact"

NAME_COLUMNS = frozenset(
    ("name", "full_name", "fullname", "first_name", "last_name", "surname", "given_name")
    + ("pseudonym", "speaker", "label", "participant_name", "interviewee", "interviewer")
)
# Columns that hold identities of the project's own coders, code ids or machine values.
KEPT_COLUMNS = frozenset(
    ("coder", "reviewer", "code", "status", "codebook_version", "content_hash", "text_hash")
    + ("speaker_role", "encoding", "command", "action", "kind", "method", "unit", "model")
    + ("created", "at", "imported", "marked", "loaded", "timestamp", "version")
)
TITLES = frozenset(("dr", "mr", "mrs", "ms", "miss", "prof", "professor", "sir", "dame"))
_GENERIC_LABEL = re.compile(
    r"(?i)^(?:interviewer|interviewee|participant|respondent|moderator|facilitator|speaker|"
    r"researcher|narrator|audience|unknown|voice|int|resp|iv|ie|q|a|i|r|p)"
    r"(?:[\s#._-]*\d*|[\s#._-]+[A-Za-z]{1,2})$"
)
_CODE_LIKE = re.compile(r"^(?:[A-Z]{1,4}[-_]?\d+[A-Za-z]?|\d+|\[[A-Z]+-\d+\])$")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_GAP = re.compile(r"\.?[ \t\u00a0]")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'\]\)}]+")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){2,4}"
    r"|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}|\b0\d{2,4}[ .-]?\d{3,4}[ .-]?\d{3,4})(?!\w)"
)
_PSEUDONYM_LIKE = re.compile(r"\bP\d{2,}\b|\[[A-Z]+-\d+\]")
_SENTENCE_ENDS = frozenset(".!?:;\n…")
_OPENERS = frozenset(" \t\"“”‘’'([{")


def _words(*lines: str) -> frozenset[str]:
    return frozenset(w for line in lines for w in line.split())


# Words that make a capitalised run a place, an institution or a date, not a person.
_NOT_NAMES = _words(
    "the a an and but or of in on at to for with from by my our his her their this that",
    "these those it we he she they you i oh well yes no so then when what where why how who",
    "if as not now okay ok dear thanks thank hi hello today yesterday tomorrow center",
    "centre space station project program programme history oral office national",
    "international mission control university college school committee administration",
    "agency corporation company department museum institute library corps peace archives",
    "records personnel headquarters laboratory lab flight shuttle air force army navy",
    "marine government service services association society foundation council board group",
    "division branch section team building street road avenue river lake mountain island",
    "islands city county state states united kingdom republic north south east west new",
    "saint st san los las santa fort port mount bay beach park hall house church hospital",
    "bank conference review week day monday tuesday wednesday thursday friday saturday",
    "sunday january february march april may june july august september october november",
    "december christmas easter english spanish french german american european african",
    "asian japanese chinese russian soviet union world war earth moon sun god lord internet",
    "web online system systems center's",
)


@dataclass(slots=True)
class Entity:
    """One person, organisation, address or number, and what replaces it."""

    kind: str
    original: str
    pseudonym: str
    forms: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class RedactionReport:
    """What a redaction (or its reversal) did.

    Attributes:
        key_file: the key file written (or read).
        counts: entities by kind (participant, person, org, email, phone, url).
        replacements: how many spans were replaced (or restored).
        documents: documents whose text changed.
        originals_on_disk: files in the project folder that still hold an original name.
        approximate: fields restored by pseudonym (not by place) because they changed since.
    """

    key_file: Path
    counts: dict[str, int]
    replacements: int
    documents: int
    originals_on_disk: tuple[str, ...] = ()
    approximate: int = 0


@lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    """Lowercase English words: the keys and lemmas of spaCy's English lookup table."""
    import spacy_lookups_data
    import srsly

    table = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    data = srsly.read_gzip_json(table)
    return frozenset(w.lower() for pair in data.items() for w in pair)


def _norm(token: str) -> str:
    return token.lower().replace("’", "'")


def tokens(text: str) -> list[tuple[int, int, str]]:
    """Word tokens as (start, end, normalised form); a possessive 's stays outside."""
    out = []
    for m in _WORD.finditer(text):
        start, end = m.start(), m.end()
        if end - start > 2 and text[end - 2] in "'’" and text[end - 1] in "sS":
            end -= 2
        out.append((start, end, _norm(text[start:end])))
    return out


def _form(text: str) -> tuple[str, ...]:
    return tuple(t[2] for t in tokens(text))


def name_like(label: str) -> bool:
    """Whether a speaker label or case id looks like a person's name."""
    label = label.strip()
    if not label or _GENERIC_LABEL.match(label) or _CODE_LIKE.match(label):
        return False
    return any(w[:1].isupper() and len(w) > 1 for w in _WORD.findall(label))


class Registry:
    """Every entity with its forms, and the numbering of pseudonyms by kind."""

    def __init__(self, taken: Callable[[str], bool]) -> None:
        self.entities: list[Entity] = []
        self.by_form: dict[tuple[str, ...], Entity] = {}
        self.by_value: dict[tuple[str, str], Entity] = {}
        self._taken = taken
        self._numbers: dict[str, int] = {}
        self.longest = 1

    def _next(self, kind: str) -> str:
        while True:
            self._numbers[kind] = self._numbers.get(kind, 0) + 1
            n = self._numbers[kind]
            label = f"P{n:02d}" if kind == "participant" else f"[{kind.upper()}-{n}]"
            if not self._taken(label):
                return label

    def add(self, kind: str, original: str, pseudonym: str = "") -> Entity:
        """A new entity, or the one already holding this original."""
        key = (kind if kind in ("email", "phone", "url") else "name", original.casefold())
        if key in self.by_value:
            return self.by_value[key]
        entity = Entity(kind, original, pseudonym or self._next(kind))
        self.entities.append(entity)
        self.by_value[key] = entity
        return entity

    def add_form(self, form: tuple[str, ...], entity: Entity, surface: str = "") -> None:
        """Map a token sequence to an entity (the first entity to claim it keeps it)."""
        if form and form not in self.by_form:
            self.by_form[form] = entity
            self.longest = max(self.longest, len(form))
        if surface:
            entity.forms.add(surface)


def person_forms(full: str) -> Iterator[tuple[tuple[str, ...], bool]]:
    """The token sequences a person is found by, each with whether it is a lone word."""
    words = _form(full)
    words = tuple(w for w in words if w not in TITLES) or words
    if not words:
        return
    spaced = tuple(p for w in words for p in w.split("-"))
    plain = tuple(w for w in words if len(w) > 1)
    for variant in {words, spaced, plain, (words[0], words[-1]) if len(words) > 1 else words}:
        yield variant, len(variant) == 1
    if len(plain) > 2:
        yield plain[-2:], False
    for title in TITLES:
        yield (title, words[-1]), False
        yield (title, *words), False
    common = ordinary_words()
    for lone in {words[-1], words[0]}:
        if len(lone) >= 3 and lone not in common and not _GENERIC_LABEL.match(lone):
            yield (lone,), True


def _sentence_start(text: str, at: int) -> bool:
    i = at - 1
    while i >= 0 and text[i] in _OPENERS:
        i -= 1
    return i < 0 or text[i] in _SENTENCE_ENDS


def joined(text: str, a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Whether two tokens stand together in a name: one space, or ". " after an initial."""
    gap = text[a[1] : b[0]]
    if gap[:1] == ".":
        return (len(a[2]) == 1 or a[2] in TITLES) and _GAP.fullmatch(gap) is not None
    return _GAP.fullmatch(gap) is not None


def _capitalised(text: str, tok: tuple[int, int, str]) -> bool:
    word = text[tok[0] : tok[1]]
    if len(word) == 1:
        return word.isupper() and text[tok[1] : tok[1] + 1] == "."
    return word[0].isupper() and any(c.islower() for c in word)


def capitalised_runs(text: str) -> Iterator[tuple[int, int, tuple[str, ...], bool]]:
    """Runs of capitalised words: (start, end, normalised words, at a sentence start)."""
    toks = tokens(text)
    i = 0
    while i < len(toks):
        if not _capitalised(text, toks[i]):
            i += 1
            continue
        j = i
        while (
            j + 1 < len(toks)
            and _capitalised(text, toks[j + 1])
            and joined(text, toks[j], toks[j + 1])
        ):
            j += 1
        run = toks[i : j + 1]
        yield run[0][0], run[-1][1], tuple(t[2] for t in run), _sentence_start(text, run[0][0])
        i = j + 1


_CUES = frozenset(("by", "with", "and", "named", "called", "is", "was", "interviewing", "am"))


def _cued(text: str, start: int) -> bool:
    """Whether the words before ``start`` introduce a person ("assisted by", "and", ...)."""
    before = text[max(0, start - 20) : start].split()
    return bool(before) and before[-1].lower().strip(",") in _CUES


def heuristic_names(text: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """People found by the capitalised-words heuristic: (surface, form).

    A run of two or more capitalised words, not at a sentence start and without a word
    such as Center or May, is a person when one of its words is not an ordinary English
    word, or when a word such as "by", "with" or "and" comes just before it.
    """
    common = ordinary_words()
    for start, end, words, at_start in capitalised_runs(text):
        titled = words[0] in TITLES
        lead = 0
        while lead < len(words) and words[lead] in _NOT_NAMES and words[lead] not in TITLES:
            lead += 1
        rest = words[lead:]
        if any(w in _NOT_NAMES for w in rest):
            continue
        named = [w for w in rest if w not in TITLES and len(w) > 1]
        if titled and lead == 0 and named:
            yield text[start:end], rest
        elif len(named) >= 2 and not (at_start and lead == 0):
            surface = text[start:end]
            if lead:
                surface = " ".join(surface.split()[lead:])
            if any(w not in common for w in named) or (lead == 0 and _cued(text, start)):
                yield surface, rest


def ner_people(texts: Iterable[str]) -> list[str]:
    """PERSON entities from an installed spaCy NER pipeline, or none when none is installed."""
    import importlib.util

    name = next(
        (
            n
            for n in ("en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm")
            if importlib.util.find_spec(n) is not None
        ),
        None,
    )
    if name is None:
        return []
    import spacy

    nlp = spacy.load(name, exclude=["lemmatizer"])
    nlp.max_length = max(nlp.max_length, 10_000_000)
    found: list[str] = []
    for doc in nlp.pipe(texts):
        found.extend(e.text for e in doc.ents if e.label_ == "PERSON" and " " in e.text.strip())
    return found


@dataclass(frozen=True, slots=True)
class Edit:
    """One replacement: ``start``-``end`` of the old text became ``new``."""

    start: int
    end: int
    new: str
    old: str


class Redactor:
    """Finds the spans to replace in any text, with consistent pseudonyms."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def edits(self, text: str) -> list[Edit]:
        """The non-overlapping replacements for a text, in order."""
        if not text:
            return []
        claimed = self._pattern_edits(text)
        taken = [(e.start, e.end) for e in claimed]
        claimed += self._name_edits(text, taken)
        claimed.sort(key=lambda e: e.start)
        return claimed

    def _pattern_edits(self, text: str) -> list[Edit]:
        found: list[Edit] = []
        for kind, pattern in (("url", URL), ("email", EMAIL), ("phone", PHONE)):
            for m in pattern.finditer(text):
                start, end = m.start(), m.end()
                while end > start and text[end - 1] in ".,;:!?":
                    end -= 1
                if any(f.start < end and start < f.end for f in found):
                    continue
                value = text[start:end]
                entity = self.registry.add(kind, value)
                entity.forms.add(value)
                found.append(Edit(start, end, entity.pseudonym, value))
        return found

    def _name_edits(self, text: str, taken: list[tuple[int, int]]) -> list[Edit]:
        toks = tokens(text)
        out: list[Edit] = []
        by_form = self.registry.by_form
        i = 0
        while i < len(toks):
            first = text[toks[i][0] : toks[i][0] + 1]
            hit = None
            if first.isupper():
                for k in range(min(self.registry.longest, len(toks) - i), 0, -1):
                    window = toks[i : i + k]
                    if not all(
                        joined(text, a, b) for a, b in zip(window, window[1:], strict=False)
                    ):
                        continue
                    form, end = tuple(t[2] for t in window), window[-1][1]
                    if form not in by_form and len(form[-1]) > 3 and form[-1][-1] == "s":
                        # A plural ("the Johnsons'") names the same person.
                        form, end = (*form[:-1], form[-1][:-1]), end - 1
                    if form in by_form:
                        hit = (window[0][0], end, by_form[form], k)
                        break
            if hit is None or any(s < hit[1] and hit[0] < e for s, e in taken):
                i += 1
                continue
            start, end, entity, k = hit
            entity.forms.add(text[start:end])
            out.append(Edit(start, end, entity.pseudonym, text[start:end]))
            i += k
        return out

    def redact(self, text: str) -> tuple[str, list[Edit]]:
        """The redacted text and the edits made."""
        found = self.edits(text)
        return apply_edits(text, found), found


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with each edit's span replaced by its new text."""
    pieces, at = [], 0
    for e in edits:
        pieces.append(text[at : e.start])
        pieces.append(e.new)
        at = e.end
    pieces.append(text[at:])
    return "".join(pieces)


def offset_mapper(edits: Sequence[Edit]) -> Callable[[int, bool], int]:
    """Maps an old offset to the new text; one inside a replaced span snaps to its edge."""
    starts = [e.start for e in edits]
    shifts, total = [], 0
    for e in edits:
        shifts.append(total)
        total += len(e.new) - (e.end - e.start)

    def move(pos: int, is_end: bool) -> int:
        import bisect

        i = bisect.bisect_right(starts, pos) - 1
        if i < 0:
            return pos
        e, before = edits[i], shifts[i]
        new_start = e.start + before
        if pos < e.end or (pos == e.end and e.end == e.start):
            if pos == e.start:
                return new_start
            return new_start + len(e.new) if is_end else new_start
        return pos + before + len(e.new) - (e.end - e.start)

    return move


# ---------------------------------------------------------------- the database side


@dataclass(frozen=True, slots=True)
class Column:
    """A text column to rewrite."""

    table: str
    name: str


def text_columns(conn: sqlite3.Connection) -> list[Column]:
    """Every column that may hold text, but coders, code ids and machine values."""
    out = []
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    for table in tables:
        info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        for _, name, kind, *_ in info:
            if (table, name) in (("documents", "text"), ("codings", "quote")):
                continue
            if name in KEPT_COLUMNS or kind.upper() not in ("TEXT", ""):
                continue
            if table == "embeddings":
                continue
            out.append(Column(table, name))
    return out


def offset_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables with a document_id, start and end: their offsets move with the text."""
    found = []
    for (table,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ):
        columns = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
        if {"document_id", "start", "end"} <= columns:
            found.append(table)
    return sorted(found)


def _walk(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def as_json(text: str) -> Any | None:
    """The value a JSON object or array text holds, else None."""
    if text[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def dump_like(text: str, old: Any, new: Any) -> str:
    """``new`` as JSON written the way ``text`` (the JSON of ``old``) was written."""
    for sort_keys in (True, False):
        for ascii_only in (True, False):
            if json.dumps(old, sort_keys=sort_keys, ensure_ascii=ascii_only) == text:
                return json.dumps(new, sort_keys=sort_keys, ensure_ascii=ascii_only)
    return json.dumps(new, sort_keys=True, ensure_ascii=False)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Rewriter(ABC):
    """Rewrites every text value of the project; JSON texts string by string, keys included.

    Each place is named as in the redacted project: table, primary key, column, and for
    JSON the path of keys and indexes (``dict_key`` when the string is a key itself).
    """

    #: whether JSON paths are written with the output's keys (redacting) or the input's.
    paths_from_output = True

    def __init__(self) -> None:
        self.fields: list[dict[str, Any]] = []
        self.replacements = 0

    @abstractmethod
    def string(self, where: dict[str, Any], text: str) -> str:
        """The rewritten form of one string (redacting or restoring)."""

    def value(self, where: dict[str, Any], text: str) -> str:
        """The rewritten text of one cell."""
        data = as_json(text)
        if data is None:
            return self.string(where, text)
        new = self._json(where, data, [])
        return text if new == data else dump_like(text, data, new)

    def _json(self, where: dict[str, Any], value: Any, path: list[Any]) -> Any:
        if isinstance(value, str):
            return self.string({**where, "path": path}, value)
        if isinstance(value, list):
            return [self._json(where, v, [*path, i]) for i, v in enumerate(value)]
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                new_key = self.string({**where, "path": path, "dict_key": True}, k)
                step = new_key if self.paths_from_output else k
                out[new_key] = self._json(where, v, [*path, step])
            return out
        return value

    def note(self, where: dict[str, Any], new: str, edits: Sequence[Edit]) -> None:
        """Keep the edits made at one place for the key file."""
        if edits:
            self.replacements += len(edits)
            self.fields.append({**where, "sha256": _sha(new), "edits": _key_edits(edits)})


class Redacting(Rewriter):
    """Replaces names and the like, noting every edit with its place."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def string(self, where: dict[str, Any], text: str) -> str:
        new, edits = self.redactor.redact(text)
        if not edits and where["column"] == "word" and text.islower():
            # Topic models lower-case their words: "horowitz" is the person too.
            titled, found = self.redactor.redact(text.title())
            if found:
                new, edits = titled, [Edit(0, len(text), titled, text)]
        self.note(where, new, edits)
        return new

    def name_rows(self, conn: sqlite3.Connection) -> None:
        """Name each noted place by its row's primary key as it is now (after the rewrite)."""
        for item in self.fields:
            item["key"] = row_key(conn, item["table"], item.pop("rowid"))


def row_key(conn: sqlite3.Connection, table: str, rowid: int) -> dict[str, Any]:
    """A row's primary-key values (its rowid for a table without a primary key)."""
    keys = primary_key(conn, table)
    if keys == ("rowid",):
        return {"rowid": rowid}
    quoted = ", ".join(f'"{k}"' for k in keys)
    row = conn.execute(f'SELECT {quoted} FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()
    return dict(zip(keys, row, strict=True))


def primary_key(conn: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """The primary-key columns of a table, in key order, or ("rowid",)."""
    info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    return tuple(r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]) or ("rowid",)


def _key_edits(edits: Sequence[Edit]) -> list[list[Any]]:
    """Edits in the new text's coordinates: [start, pseudonym, original]."""
    out, shift = [], 0
    for e in edits:
        out.append([e.start + shift, e.new, e.old])
        shift += len(e.new) - (e.end - e.start)
    return out


def reverse_edits(text: str, saved: Sequence[Sequence[Any]]) -> list[Edit] | None:
    """The edits that undo saved key-file edits, or None when the text does not match."""
    out = []
    for start, new, old in saved:
        if text[start : start + len(new)] != new:
            return None
        out.append(Edit(start, start + len(new), old, new))
    return out


def rewrite_database(
    conn: sqlite3.Connection,
    rewriter: Rewriter,
    document_edits: Callable[[int, str], list[Edit] | None],
) -> int:
    """Rewrite document texts (moving every offset) and every other text column in place.

    Returns how many documents changed. Call inside a transaction with triggers dropped.
    """
    changed = 0
    movers = offset_tables(conn)
    for doc_id, text in conn.execute("SELECT id, text FROM documents ORDER BY id").fetchall():
        edits = document_edits(doc_id, text)
        if not edits:
            continue
        new = apply_edits(text, edits)
        conn.execute(
            "UPDATE documents SET text = ?, content_hash = ? WHERE id = ?",
            (new, _sha(new), doc_id),
        )
        rewriter.note({"table": "documents", "rowid": doc_id, "column": "text"}, new, edits)
        _move_offsets(conn, movers, doc_id, text, new, edits, rewriter)
        changed += 1
    for column in text_columns(conn):
        _rewrite_column(conn, column, rewriter)
    return changed


def _move_offsets(
    conn: sqlite3.Connection,
    tables: Sequence[str],
    doc_id: int,
    old: str,
    new: str,
    edits: Sequence[Edit],
    rewriter: Rewriter,
) -> None:
    move = offset_mapper(edits)
    for table in tables:
        has_quote = any(r[1] == "quote" for r in conn.execute(f'PRAGMA table_info("{table}")'))
        quote = ", quote" if has_quote else ""
        rows = conn.execute(
            f'SELECT rowid, start, "end"{quote} FROM "{table}" WHERE document_id = ?',
            (doc_id,),
        ).fetchall()
        # Out of the way first, so that no moved row meets one not yet moved in a unique key.
        conn.execute(f'UPDATE "{table}" SET start = -1 - start WHERE document_id = ?', (doc_id,))
        for row in rows:
            start, end = move(row[1], False), move(row[2], True)
            params: list[Any] = [start, end]
            if has_quote:
                orphan = row[3] != old[row[1] : row[2]]
                where = {"table": table, "rowid": row[0], "column": "quote"}
                params.append(rewriter.value(where, row[3]) if orphan else new[start:end])
            sql = f'UPDATE "{table}" SET start = ?, "end" = ?' + (", quote = ?" if quote else "")
            conn.execute(sql + " WHERE rowid = ?", [*params, row[0]])


def _rewrite_column(conn: sqlite3.Connection, column: Column, rewriter: Rewriter) -> None:
    rows = conn.execute(
        f'SELECT rowid, "{column.name}" FROM "{column.table}" '
        f"WHERE typeof(\"{column.name}\") = 'text'"
    ).fetchall()
    for rowid, text in rows:
        where = {"table": column.table, "rowid": rowid, "column": column.name}
        new = rewriter.value(where, text)
        if new != text:
            conn.execute(
                f'UPDATE "{column.table}" SET "{column.name}" = ? WHERE rowid = ?', (new, rowid)
            )


class Triggers:
    """Drops the triggers for a maintenance rewrite and recreates them from their SQL."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.saved = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        ).fetchall()

    def __enter__(self) -> Triggers:
        for name, _ in self.saved:
            self.conn.execute(f'DROP TRIGGER "{name}"')
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            for _, sql in self.saved:
                self.conn.execute(sql)


# ---------------------------------------------------------------- finding the people


def _case_rows(conn: sqlite3.Connection) -> list[tuple[str, dict[str, Any]]]:
    return [(r[0], json.loads(r[1])) for r in conn.execute("SELECT id, attributes FROM cases")]


def build_registry(
    conn: sqlite3.Connection,
    names: Sequence[str] = (),
    orgs: Sequence[str] = (),
    *,
    ner: bool = True,
) -> Registry:
    """Everyone and everything to replace, from the project and the lists given."""
    present = {m for text in _all_text(conn) for m in _PSEUDONYM_LIKE.findall(text)}
    registry = Registry(present.__contains__)
    cases = _case_rows(conn)
    case_of = _participant_pseudonyms(conn, cases)
    turns = conn.execute(
        "SELECT speaker, speaker_role, case_id FROM turns ORDER BY document_id, idx"
    ).fetchall()
    people: list[tuple[str, str]] = []  # (name, pseudonym or "")
    for speaker, role, case in turns:
        if name_like(speaker):
            fixed = case if case and not name_like(case) else case_of.get(speaker, "")
            people.append((speaker, fixed if role == "participant" else ""))
    for case, attributes in cases:
        if name_like(case):
            people.append((case, case_of.get(case, "")))
        for key, value in attributes.items():
            if key.lower() in NAME_COLUMNS and isinstance(value, str) and name_like(value):
                people.append((value, case if not name_like(case) else case_of.get(case, "")))
    for original, fixed in dict.fromkeys(people):
        kind = "participant" if fixed or original in case_of else "person"
        _add_person(registry, kind, original, fixed or case_of.get(original, ""))
    for listed in names:
        _add_person(registry, "person", listed, "")
    _add_given_names(registry)
    for org in orgs:
        entity = registry.add("org", org)
        registry.add_form(_form(org), entity, org)
        registry.add_form(tuple(p for w in _form(org) for p in w.split("-")), entity)
    _add_discovered(registry, conn, ner)
    return registry


def _participant_pseudonyms(
    conn: sqlite3.Connection, cases: Sequence[tuple[str, dict[str, Any]]]
) -> dict[str, str]:
    """Name-like case ids and participant speakers -> a fixed pseudonym if one is known."""
    out: dict[str, str] = {}
    for case, attributes in cases:
        if name_like(case):
            out.setdefault(case, "")
            continue
        for key, value in attributes.items():
            if key.lower() in NAME_COLUMNS and isinstance(value, str) and name_like(value):
                out[value] = case
    for speaker, case in conn.execute(
        "SELECT DISTINCT speaker, case_id FROM turns WHERE speaker_role = 'participant' "
        "AND case_id IS NOT NULL"
    ):
        if name_like(speaker) and not name_like(case):
            out.setdefault(speaker, case)
    return out


def _add_person(registry: Registry, kind: str, original: str, pseudonym: str) -> None:
    original = " ".join(original.split())
    entity = registry.add(kind, original, pseudonym)
    for form, lone in person_forms(original):
        if not lone:
            registry.add_form(form, entity, original if form == _form(original) else "")
    for form, lone in person_forms(original):
        if lone:
            registry.add_form(form, entity)


def _add_discovered(registry: Registry, conn: sqlite3.Connection, ner: bool) -> None:
    texts = list(_running_text(conn))
    for text in texts:
        for surface, form in heuristic_names(text):
            if form not in registry.by_form:
                entity = registry.add("person", surface)
                registry.add_form(form, entity, surface)
    if ner:
        for found in ner_people(texts):
            if _form(found) not in registry.by_form:
                _add_person(registry, "person", found, "")


def _add_given_names(registry: Registry) -> None:
    """A given name alone stands for its person when only one person has it."""
    owners: dict[str, list[Entity]] = {}
    for entity in registry.entities:
        if entity.kind in ("person", "participant"):
            words = [w for w in _form(entity.original) if w not in TITLES]
            if len(words) > 1:
                owners.setdefault(words[0], []).append(entity)
    common = ordinary_words()
    for given, entities in sorted(owners.items()):
        if len(given) < 3 or given in common or (given,) in registry.by_form:
            continue
        distinct = {e.pseudonym for e in entities}
        owner = entities[0] if len(distinct) == 1 else registry.add("person", given.title())
        registry.add_form((given,), owner)


def _running_text(conn: sqlite3.Connection) -> Iterator[str]:
    for (text,) in conn.execute("SELECT text FROM documents ORDER BY id"):
        yield text
    for (metadata,) in conn.execute("SELECT metadata FROM documents ORDER BY id"):
        yield from _walk(json.loads(metadata))
    for (text,) in conn.execute("SELECT text FROM memos ORDER BY id"):
        yield text
    for (memo,) in conn.execute("SELECT memo FROM codings WHERE memo != '' ORDER BY id"):
        yield memo
    for _, attributes in _case_rows(conn):
        yield from _walk(attributes)


def _all_text(conn: sqlite3.Connection) -> Iterator[str]:
    for column in text_columns(conn):
        for (value,) in conn.execute(
            f'SELECT "{column.name}" FROM "{column.table}" WHERE typeof("{column.name}") = \'text\''
        ):
            yield value
    for (text,) in conn.execute("SELECT text FROM documents"):
        yield text


# ---------------------------------------------------------------- key files and the commands


def read_list(path: Path | None) -> list[str]:
    """A names or organisations file: one entry a line, `#` starts a comment.

    Raises:
        InputFileError: the file is missing or not UTF-8 text.
    """
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(path, "file not found", "check the path") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(
            path, f"not UTF-8 text (byte {exc.start})", "save it as UTF-8, one name a line"
        ) from None
    return [line.strip() for line in text.splitlines() if line.strip() and line[:1] != "#"]


def check_key_path(project: Project, key_file: Path) -> Path:
    """The key file's absolute path, refused inside the project folder.

    Raises:
        ProjectError: the path lies inside the project folder.
    """
    resolved = key_file.expanduser().resolve()
    if resolved == project.root or project.root in resolved.parents:
        raise ProjectError(
            f"{key_file}: the key file must not be inside the project folder {project.root} "
            "(whoever gets the project would get the names back); give a path outside it"
        )
    return resolved


def write_key(path: Path, key: dict[str, Any]) -> None:
    """Write the key file readable by its owner only; an existing file is never replaced.

    Raises:
        ProjectError: the file exists or its folder cannot be written.
    """
    data = json.dumps(key, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ProjectError(
            f"{path}: a key file is already there; give a new path (a key is never overwritten)"
        ) from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot write the key file ({exc.strerror})") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_key(path: Path) -> dict[str, Any]:
    """A key file written by `redact`.

    Raises:
        InputFileError: missing, unreadable, or not a qualmine redaction key.
    """
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(path, "key file not found", "give the path `redact` wrote") from None
    except (OSError, ValueError) as exc:
        raise InputFileError(path, f"cannot read the key file ({exc})") from None
    if not isinstance(key, dict) or key.get("format") != KEY_FORMAT:
        raise InputFileError(path, "not a qualmine redaction key file")
    if key.get("version") != KEY_VERSION:
        raise InputFileError(path, f"key version {key.get('version')!r}; upgrade qualmine")
    return key


def redact_project(
    project: Project,
    key_file: Path,
    *,
    names: Sequence[str] = (),
    orgs: Sequence[str] = (),
    actor: str = "unknown",
    ner: bool = True,
) -> RedactionReport:
    """Pseudonymise the project (see the module docstring) and write the key file."""
    key_path = check_key_path(project, key_file)
    if key_path.exists():
        raise ProjectError(
            f"{key_file}: a key file is already there; give a new path (a key is never overwritten)"
        )
    redaction_id = uuid.uuid4().hex
    with project.session() as conn:
        conn.execute("PRAGMA secure_delete = ON")
        try:
            with transaction(conn):
                registry = build_registry(conn, names, orgs, ner=ner)
                redactor = Redactor(registry)
                rewriter = Redacting(redactor)
                docs = _rewrite_all(conn, rewriter, lambda _id, text: redactor.edits(text))
                rewriter.name_rows(conn)
                conn.execute("DELETE FROM embeddings")
                record(
                    conn,
                    coder=actor,
                    command=COMMAND,
                    action="redact",
                    target="project",
                    payload={"redaction": redaction_id, "replacements": rewriter.replacements},
                )
                _check_integrity(conn)
                # The key is on disk before the change commits: no redaction without its key.
                write_key(key_path, _key(redaction_id, project, registry, rewriter))
        except BaseException:
            if key_path.exists() and _key_of(key_path) == redaction_id:
                key_path.unlink()
            raise
        _vacuum(conn)
    on_disk = originals_on_disk(project, registry)
    return RedactionReport(key_path, _counts(registry), rewriter.replacements, docs, on_disk)


def _key_of(path: Path) -> str:
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("redaction", ""))
    except (OSError, ValueError):
        return ""


def _rewrite_all(
    conn: sqlite3.Connection,
    rewriter: Rewriter,
    document_edits: Callable[[int, str], list[Edit] | None],
) -> int:
    conn.execute("PRAGMA defer_foreign_keys = ON")
    try:
        with Triggers(conn):
            docs = rewrite_database(conn, rewriter, document_edits)
    except sqlite3.IntegrityError as exc:
        raise QualmineError(
            f"the redaction would make two rows the same ({exc}); nothing was changed. "
            "Rename one of the documents or cases and run it again"
        ) from None
    return docs


def _check_integrity(conn: sqlite3.Connection) -> None:
    problems = conn.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise QualmineError(
            f"the redaction left {len(problems)} broken reference(s) (first: {problems[0]}); "
            "nothing was changed"
        )


def _vacuum(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as exc:
        raise ProjectError(
            f"the redaction is saved, but the file could not be vacuumed ({exc}): old pages "
            "may still hold names. Close other qualmine processes and run "
            "`qualmine redact --vacuum`"
        ) from None


def vacuum_project(project: Project) -> None:
    """Rewrite the project file so that no freed page keeps old text."""
    with project.session() as conn:
        conn.execute("PRAGMA secure_delete = ON")
        _vacuum(conn)


def _counts(registry: Registry) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entity in registry.entities:
        if entity.forms:
            counts[entity.kind] = counts.get(entity.kind, 0) + 1
    return counts


def _key(
    redaction_id: str, project: Project, registry: Registry, rewriter: Rewriter
) -> dict[str, Any]:
    used = [e for e in registry.entities if e.forms]
    return {
        "format": KEY_FORMAT,
        "version": KEY_VERSION,
        "redaction": redaction_id,
        "project": project.config.name,
        "created": now(),
        "pseudonyms": {e.pseudonym: e.original for e in used},
        "forms": {e.pseudonym: sorted(e.forms) for e in used},
        "fields": rewriter.fields,
    }


def originals_on_disk(project: Project, registry: Registry) -> tuple[str, ...]:
    """Files in the project folder (outside .qualmine) that still hold an original name."""
    names = [e.original for e in registry.entities if e.forms and len(e.original) >= 4]
    found = []
    for path in sorted(project.root.rglob("*")):
        if not path.is_file() or ".qualmine" in path.relative_to(project.root).parts:
            continue
        try:
            data = path.read_bytes()[:20_000_000].decode("utf-8", "ignore")
        except OSError:
            continue
        if any(n in data for n in names):
            found.append(str(path.relative_to(project.root)))
    return tuple(found)


def reverse_redaction(
    project: Project, key_file: Path, *, actor: str = "unknown"
) -> RedactionReport:
    """Put the original text back from a key file written by `redact_project`.

    Raises:
        ProjectError: the key belongs to another project or redaction, a later redaction
            must be reversed first, or a document's text changed since.
    """
    key = read_key(key_file)
    with project.session() as conn, transaction(conn):
        _check_latest(conn, key, key_file)
        rewriter = Restoring(conn, key)
        docs = _rewrite_all(conn, rewriter, rewriter.document_edits)
        record(
            conn,
            coder=actor,
            command=COMMAND,
            action="reverse",
            target="project",
            payload={"redaction": key["redaction"], "restored": rewriter.replacements},
        )
    return RedactionReport(
        key_file, {}, rewriter.replacements, docs, approximate=rewriter.approximate
    )


def _check_latest(conn: sqlite3.Connection, key: dict[str, Any], key_file: Path) -> None:
    in_force: list[str] = []
    for payload, action in conn.execute(
        "SELECT payload, action FROM audit WHERE command = ? ORDER BY id", (COMMAND,)
    ):
        rid = json.loads(payload).get("redaction")
        if action == "redact":
            in_force.append(rid)
        elif action == "reverse" and rid in in_force:
            in_force.remove(rid)
    if key.get("redaction") not in in_force:
        raise ProjectError(
            f"{key_file}: this key belongs to no redaction of this project still in force "
            "(another project's, or one already reversed); `qualmine log` lists redactions"
        )
    if in_force[-1] != key["redaction"]:
        raise ProjectError(
            f"{key_file}: a later redaction was made; reverse that one first with its own key"
        )


class Restoring(Rewriter):
    """Puts each noted place back by position; by pseudonym where the place changed since."""

    paths_from_output = False

    def __init__(self, conn: sqlite3.Connection, key: dict[str, Any]) -> None:
        super().__init__()
        self.approximate = 0
        self.pseudonyms: dict[str, str] = key["pseudonyms"]
        self._order = sorted(self.pseudonyms, key=len, reverse=True)
        self.saved: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for item in key["fields"]:
            ident = (item["table"], _dump(item["key"]), item["column"])
            self.saved.setdefault(ident, []).append(item)
        # Rows are named by their keys before anything moves (offsets are part of some keys).
        self.keys: dict[tuple[str, int], str] = {}
        for table in sorted({t for t, _, _ in self.saved}):
            for rowid in (r[0] for r in conn.execute(f'SELECT rowid FROM "{table}"')):
                self.keys[(table, rowid)] = _dump(row_key(conn, table, rowid))

    def document_edits(self, doc_id: int, text: str) -> list[Edit] | None:
        """The edits that give a document its original text back."""
        items = self.saved.get(("documents", _dump({"id": doc_id}), "text"), [])
        if not items:
            return None
        edits = reverse_edits(text, items[0]["edits"])
        if edits is None or _sha(text) != items[0]["sha256"]:
            raise ProjectError(
                f"document {doc_id}: its text changed after the redaction, so the key cannot "
                "put it back by place; re-import the original transcript instead"
            )
        return edits

    def note(self, where: dict[str, Any], new: str, edits: Sequence[Edit]) -> None:
        self.replacements += len(edits)

    def string(self, where: dict[str, Any], text: str) -> str:
        key = self.keys.get((where["table"], where["rowid"]))
        items = self.saved.get((where["table"], key or "", where["column"]), [])
        path, is_key = where.get("path"), bool(where.get("dict_key"))
        matches = [i for i in items if i.get("path") == path and bool(i.get("dict_key")) == is_key]
        if is_key:
            matches = [i for i in matches if i["sha256"] == _sha(text)]
        if not matches:
            return text
        edits = reverse_edits(text, matches[0]["edits"])
        if edits is not None and _sha(text) == matches[0]["sha256"]:
            self.replacements += len(edits)
            return apply_edits(text, edits)
        self.approximate += 1
        for pseudonym in self._order:
            text = text.replace(pseudonym, self.pseudonyms[pseudonym])
        return text


def _dump(key: dict[str, Any]) -> str:
    return json.dumps(key, sort_keys=True)

"""The review session's logic: a queue of suggestions, decisions saved at once, undo, resume.

Each decision is its own transaction and lands in the audit log with the coding as it was,
so quitting or a crash loses nothing, `undo` can restore it, and the next session starts at
the first suggestion still undecided. Only the screen lives in ``qualmine.cli.review``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from qualmine.errors import CodingError, NotFoundError
from qualmine.models import Coding, Turn
from qualmine.project.codebook_sync import project_codes, sync_codebook
from qualmine.project.config import Project
from qualmine.project.filters import resolve_documents
from qualmine.storage import transaction
from qualmine.storage.audit import record
from qualmine.storage.codings import add_codings, add_memo, coding_by_id, update_coding
from qualmine.storage.documents import document_turns

_COMMAND = "review"


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A suggestion shown with its context.

    Attributes:
        coding: the suggested coding.
        document: the document's name.
        position: 1-based place in the queue; ``total`` is the queue's length.
        turn: the turn the coding starts in.
        before: the previous turn (speaker, text), or None.
        after: the next turn (speaker, text), or None.
        definition: the code's definition.
        pending: why a person's coding needs a decision again ("" for an auto-coder's).
    """

    coding: Coding
    document: str
    position: int
    total: int
    turn: Turn | None
    before: tuple[str, str] | None
    after: tuple[str, str] | None
    definition: str
    pending: str


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    """Which suggestions the queue holds.

    Attributes:
        codes: only suggestions of these codes (empty: all).
        docs: only these documents (names, globs, ranges; empty: all).
        coders: only suggestions made by these coders (empty: all).
        blind: hide other people's codings: the queue holds only auto-coders' suggestions
            and the reviewer's own pending codings.
    """

    codes: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    coders: tuple[str, ...] = ()
    blind: bool = False


class ReviewSession:
    """A reviewer's pass over the suggestions (see the module docstring)."""

    def __init__(self, project: Project, reviewer: str, where: ReviewFilter | None = None) -> None:
        self.project = project
        self.reviewer = reviewer
        self.where = where or ReviewFilter()
        self.codebook = sync_codebook(project).codebook
        self._conn = project.connect()
        self._doc_ids = resolve_documents(self._conn, self.where.docs) if self.where.docs else []
        self._skipped: set[int] = set()
        self._undo: list[int] = []  # audit ids of this session's decisions

    def close(self) -> None:
        """Release the project file."""
        self._conn.close()

    def queue(self) -> list[int]:
        """Ids of the suggestions still undecided, in document and text order."""
        sql = "SELECT id FROM codings WHERE status = 'suggested'"
        params: list[object] = []
        for column, values in (
            ("code", self.where.codes),
            ("coder", self.where.coders),
            ("document_id", tuple(self._doc_ids)),
        ):
            if values:
                sql += f" AND {column} IN ({','.join('?' * len(values))})"
                params.extend(values)
        if self.where.blind:
            sql += " AND (coder LIKE 'auto:%' OR coder = ?)"
            params.append(self.reviewer)
        sql += ' ORDER BY document_id, start, "end", code, coder, id'
        return [r[0] for r in self._conn.execute(sql, params)]

    def next_item(self) -> ReviewItem | None:
        """The first undecided, unskipped suggestion, with its context."""
        ids = self.queue()
        remaining = [i for i in ids if i not in self._skipped]
        if not remaining:
            return None
        coding = coding_by_id(self._conn, remaining[0])
        assert coding is not None
        return self._item(coding, ids.index(coding.id) + 1, len(ids))

    def _item(self, coding: Coding, position: int, total: int) -> ReviewItem:
        name, text = self._conn.execute(
            "SELECT name, text FROM documents WHERE id = ?", (coding.document_id,)
        ).fetchone()
        turns = document_turns(self._conn, coding.document_id)
        index = next((i for i, t in enumerate(turns) if t.start <= coding.start < t.end + 1), None)

        def around(i: int) -> tuple[str, str] | None:
            if index is None or not 0 <= i < len(turns):
                return None
            return turns[i].speaker, text[turns[i].start : turns[i].end]

        code = self.codebook.code(coding.code)
        return ReviewItem(
            coding,
            name,
            position,
            total,
            turns[index] if index is not None else None,
            around((index or 0) - 1),
            around((index or 0) + 1),
            code.definition if code else "(not in the codebook)",
            coding.pending,
        )

    def _decide(
        self, coding_id: int, changed: Coding, action: str, extra: list[int] | None = None
    ) -> None:
        before = coding_by_id(self._conn, coding_id)
        if before is None:
            raise NotFoundError(f"no coding {coding_id}")
        with transaction(self._conn):
            update_coding(self._conn, changed)
            record(
                self._conn,
                coder=self.reviewer,
                command=_COMMAND,
                action=action,
                target=f"coding {coding_id}",
                payload={"before": asdict(before), "added": extra or []},
            )
            audit_id = self._conn.execute("SELECT MAX(id) FROM audit").fetchone()[0]
        self._undo.append(int(audit_id))

    def _current(self, coding_id: int) -> Coding:
        coding = coding_by_id(self._conn, coding_id)
        if coding is None or coding.status != "suggested":
            raise CodingError(f"coding {coding_id} is not an undecided suggestion")
        return coding

    def accept(self, coding_id: int) -> None:
        """Accept a suggestion: it keeps its coder and records the reviewer."""
        c = self._current(coding_id)
        self._decide(
            coding_id, replace(c, status="accepted", reviewer=self.reviewer, pending=""), "accept"
        )

    def reject(self, coding_id: int) -> None:
        """Reject a suggestion (kept, with the reviewer, never deleted)."""
        c = self._current(coding_id)
        self._decide(
            coding_id, replace(c, status="rejected", reviewer=self.reviewer, pending=""), "reject"
        )

    def change_code(self, coding_id: int, code: str) -> None:
        """Accept the span under another code."""
        self._check_code(code)
        c = self._current(coding_id)
        taken = self._conn.execute(
            'SELECT 1 FROM codings WHERE document_id=? AND start=? AND "end"=? AND code=? '
            "AND coder=?",
            (c.document_id, c.start, c.end, code, c.coder),
        ).fetchone()
        if taken:
            raise CodingError(f"{c.coder} already has {code} on this span; reject this one")
        self._decide(
            coding_id,
            replace(c, code=code, status="accepted", reviewer=self.reviewer, pending=""),
            "change",
        )

    def add_code(self, coding_id: int, code: str) -> int:
        """Code the same span with another code as the reviewer; the suggestion stays open."""
        self._check_code(code)
        c = self._current(coding_id)
        new = Coding(
            0,
            c.document_id,
            c.start,
            c.end,
            c.quote,
            code,
            self.reviewer,
            "accepted",
            codebook_version=self.codebook.version,
        )
        with transaction(self._conn):
            added = add_codings(self._conn, [new])
            if not added:
                raise CodingError(f"{self.reviewer} already has {code} on this span")
            record(
                self._conn,
                coder=self.reviewer,
                command=_COMMAND,
                action="add",
                target=f"coding {added[0]}",
                payload={"before": asdict(c), "added": added, "keep_status": True},
            )
            self._undo.append(int(self._conn.execute("SELECT MAX(id) FROM audit").fetchone()[0]))
        return added[0]

    def add_memo(self, coding_id: int, text: str) -> int:
        """A memo on the coding under review."""
        with transaction(self._conn):
            memo_id = add_memo(self._conn, "coding", str(coding_id), self.reviewer, text)
            record(
                self._conn,
                coder=self.reviewer,
                command=_COMMAND,
                action="memo",
                target=f"coding {coding_id}",
                payload={"memo": memo_id, "text": text},
            )
        return memo_id

    def skip(self, coding_id: int) -> None:
        """Leave a suggestion for later (it stays in the queue of the next session)."""
        self._skipped.add(coding_id)

    def undo(self) -> str:
        """Reverse this session's last decision; returns what was undone ("" if nothing)."""
        if not self._undo:
            return ""
        audit_id = self._undo.pop()
        action, payload = self._conn.execute(
            "SELECT action, payload FROM audit WHERE id = ?", (audit_id,)
        ).fetchone()
        data = json.loads(payload)
        before = Coding(**data["before"])
        with transaction(self._conn):
            for added in data.get("added", []):
                self._conn.execute("DELETE FROM codings WHERE id = ?", (added,))
            update_coding(self._conn, before)
            record(
                self._conn,
                coder=self.reviewer,
                command=_COMMAND,
                action="undo",
                target=f"coding {before.id}",
                payload={"undid": audit_id, "action": action},
            )
        self._skipped.discard(before.id)
        return f"{action} of coding {before.id}"

    def _check_code(self, code: str) -> None:
        if code not in project_codes(self._conn):
            raise NotFoundError(f"no code {code!r} in the codebook")


def accept_above(
    project: Project, reviewer: str, threshold: float, where: ReviewFilter | None = None
) -> int:
    """Accept every undecided suggestion scoring at least ``threshold``; returns how many."""
    session = ReviewSession(project, reviewer, where)
    try:
        count = 0
        for coding_id in session.queue():
            coding = coding_by_id(session._conn, coding_id)
            if coding is not None and coding.score is not None and coding.score >= threshold:
                session.accept(coding_id)
                count += 1
        return count
    finally:
        session.close()


def review_codes(session: ReviewSession) -> Sequence[str]:
    """The codes a reviewer may choose from."""
    return [c.id for c in session.codebook.codes if c.codable]

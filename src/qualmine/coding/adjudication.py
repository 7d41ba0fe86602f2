"""Adjudication: two coders' disagreements decided one by one into the `consensus` coder.

The units are those `qualmine agree` compares (segments by default): a disagreement is a
unit and a code where one coder's coding of the code overlaps the unit and the other's does
not, in a document both coders marked done. Units where both coded the code (agreements)
are copied to `consensus` when the session opens. Each decision is its own transaction:
the consensus codings it implies, a memo giving the reason, and an audit entry that is
also what a later session reads to resume at the first disagreement still undecided.
A consensus coding covers the part of the unit that the chosen coder(s) coded, so every
decision concerns its own unit only. A document is marked done for `consensus` once none
of its disagreements is left. Only the screen lives in ``qualmine.cli.team_commands``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from qualmine.analysis.presence import RatedSpan
from qualmine.analysis.reliability import Selection, agreement_on_presence
from qualmine.errors import QualmineError
from qualmine.models import Coding
from qualmine.project.config import Project
from qualmine.storage import transaction
from qualmine.storage.audit import record
from qualmine.storage.codings import add_codings, add_memo, mark_done
from qualmine.storage.documents import document_turns

CONSENSUS = "consensus"
COMMAND = "agree --adjudicate"
UNITS = ("document", "turn", "segment")
VERDICTS = ("first", "second", "present", "absent")
Key = tuple[int, int, int, str]  # document id, start, end, code
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A unit where the two coders differ on a code.

    Attributes:
        document_id: the document.
        document: its name.
        start: the unit's first character.
        end: just past its last character.
        turn: the index of the turn it lies in; -1 for a whole document.
        code: the code.
        coded: per coder (in the order given), whether their coding of the code overlaps
            the unit.
    """

    document_id: int
    document: str
    start: int
    end: int
    turn: int
    code: str
    coded: tuple[bool, bool]

    @property
    def key(self) -> Key:
        """What identifies the disagreement across sessions."""
        return (self.document_id, self.start, self.end, self.code)


@dataclass(frozen=True, slots=True)
class AdjudicationItem:
    """A disagreement shown with its context.

    Attributes:
        disagreement: the disagreement.
        position: 1-based place among those still undecided; ``total`` is how many.
        speaker: who speaks the unit ("" for a whole document).
        before: the turn's text before the unit.
        text: the unit's text ("" for a whole document).
        after: the turn's text after the unit.
        definition: the code's definition.
        versions: per coder, the passages of the unit their codings of the code cover.
    """

    disagreement: Disagreement
    position: int
    total: int
    speaker: str
    before: str
    text: str
    after: str
    definition: str
    versions: tuple[tuple[str, tuple[str, ...]], ...]


class AdjudicationSession:
    """An adjudicator's pass over two coders' disagreements (see the module docstring)."""

    def __init__(
        self,
        project: Project,
        coders: Sequence[str],
        adjudicator: str,
        unit: str = "segment",
        *,
        selection: Selection | None = None,
    ) -> None:
        self.coders = _check(coders, adjudicator, unit)
        self.adjudicator = adjudicator
        self.unit = unit
        agreement = agreement_on_presence(project, self.coders, unit, selection=selection)
        self._corpus = agreement.presence.corpus
        self._disagreements, agreed = _sorted_rows(agreement.presence.rows, self._corpus.documents)
        self._spans: dict[tuple[str, int, str], list[Span]] = {}
        for c in self._corpus.codings:
            self._spans.setdefault((c.coder, c.document_id, c.code), []).append((c.start, c.end))
        both = self._corpus.done.get(self.coders[0], frozenset()) & self._corpus.done.get(
            self.coders[1], frozenset()
        )
        self._documents = sorted(d for d in self._corpus.documents if d in both)
        self._conn = project.connect()
        self._skipped: set[Key] = set()
        self._undo: list[int] = []  # audit ids of this session's decisions
        self.agreements = len(agreed)
        try:
            self.copied = self._copy_agreements(agreed)
        except BaseException:
            self._conn.close()
            raise

    def close(self) -> None:
        """Release the project file."""
        self._conn.close()

    # --- the queue ---------------------------------------------------------------------

    def queue(self) -> list[Disagreement]:
        """The disagreements still undecided, in document and text order."""
        decided = self._decided()
        return [d for d in self._disagreements if d.key not in decided]

    def remaining(self) -> int:
        """How many disagreements are still undecided."""
        return len(self.queue())

    def next_item(self) -> AdjudicationItem | None:
        """The first undecided, unskipped disagreement, with its context."""
        waiting = self.queue()
        shown = [d for d in waiting if d.key not in self._skipped]
        if not shown:
            return None
        return self._item(shown[0], waiting.index(shown[0]) + 1, len(waiting))

    def _item(self, d: Disagreement, position: int, total: int) -> AdjudicationItem:
        text = self._corpus.texts[d.document_id]
        speaker, before, unit, after = "", "", "", ""
        if d.turn >= 0:
            turn = document_turns(self._conn, d.document_id)[d.turn]
            speaker = turn.speaker
            before, unit, after = (
                text[turn.start : d.start],
                text[d.start : d.end],
                text[d.end : turn.end],
            )
        code = self._corpus.codebook.code(d.code)
        versions = []
        for coder in self.coders:
            spans = self._coded(coder, d.document_id, d.start, d.end, d.code)
            versions.append((coder, tuple(text[s:e] for s, e in spans)))
        definition = code.definition if code else "(not in the codebook)"
        return AdjudicationItem(
            d, position, total, speaker, before, unit, after, definition, tuple(versions)
        )

    def _decided(self) -> dict[Key, int]:
        """Each decided disagreement of these coders and unit, with its audit entry's id."""
        rows = self._conn.execute(
            "SELECT id, action, payload FROM audit WHERE command = ? ORDER BY id", (COMMAND,)
        ).fetchall()
        decided: dict[Key, int] = {}
        for audit_id, action, payload in rows:
            data = json.loads(payload)
            if action == "decide" and data["coders"] == list(self.coders):
                if data["unit"] == self.unit:
                    key = data["key"]
                    decided[(key[0], key[1], key[2], key[3])] = audit_id
            elif action == "undo":
                decided = {k: v for k, v in decided.items() if v != data["undid"]}
        return decided

    # --- decisions ---------------------------------------------------------------------

    def chosen_coder(self, d: Disagreement, verdict: str) -> str:
        """Whose version a verdict takes: first, second, or the one it agrees with."""
        if verdict not in VERDICTS:
            raise QualmineError(f"verdict {verdict!r}; use one of {', '.join(VERDICTS)}")
        if verdict in ("first", "second"):
            return self.coders[VERDICTS.index(verdict)]
        wanted = verdict == "present"
        return next(c for c, v in zip(self.coders, d.coded, strict=True) if v == wanted)

    def outcome(self, d: Disagreement, verdict: str) -> str:
        """The default reason: whose version is taken, and what it says."""
        coder = self.chosen_coder(d, verdict)
        present = d.coded[self.coders.index(coder)]
        return f"took {coder}'s version ({d.code} {'present' if present else 'absent'})"

    def decide(self, d: Disagreement, verdict: str, reason: str = "") -> int:
        """Settle a disagreement; returns how many consensus codings it added.

        ``first``/``second`` take that coder's version, ``present`` the version of the
        coder who coded the unit, ``absent`` that of the one who did not.
        """
        if d.key in self._decided():
            raise QualmineError(f"{_where(d)} is already decided; undo it first")
        coder = self.chosen_coder(d, verdict)
        spans = self._coded(coder, d.document_id, d.start, d.end, d.code)
        outcome = self.outcome(d, verdict)
        text = f"adjudication of {_where(d)} ({self.unit}; {' vs '.join(self.coders)}): "
        text += f"{reason.strip()} [{outcome}]" if reason.strip() else outcome
        with transaction(self._conn):
            codings = self._consensus(d.document_id, d.code, spans, f"adjudicated: {coder}")
            added = add_codings(self._conn, codings)
            kind, target = ("coding", str(added[0])) if added else ("document", d.document)
            memo_id = add_memo(self._conn, kind, target, self.adjudicator, text)
            finished = self._finish(d)
            record(
                self._conn,
                coder=self.adjudicator,
                command=COMMAND,
                action="decide",
                target=_where(d),
                payload={
                    "coders": list(self.coders),
                    "unit": self.unit,
                    "key": list(d.key),
                    "verdict": verdict,
                    "taken": coder,
                    "added": added,
                    "memo": memo_id,
                    "done": finished,
                },
            )
            audit_id = self._conn.execute("SELECT MAX(id) FROM audit").fetchone()[0]
        self._undo.append(int(audit_id))
        self._skipped.discard(d.key)
        return len(added)

    def add_memo(self, d: Disagreement, text: str) -> int:
        """A memo on the disagreement's document, saying where it is; returns its id."""
        note = f"{_where(d)}: {text}"
        with transaction(self._conn):
            memo_id = add_memo(self._conn, "document", d.document, self.adjudicator, note)
            record(
                self._conn,
                coder=self.adjudicator,
                command=COMMAND,
                action="memo",
                target=_where(d),
                payload={"memo": memo_id, "text": text},
            )
        return memo_id

    def skip(self, d: Disagreement) -> None:
        """Leave a disagreement for later (it comes back in the next session)."""
        self._skipped.add(d.key)

    def undo(self) -> str:
        """Reverse this session's last decision; returns what was undone ("" if nothing)."""
        if not self._undo:
            return ""
        audit_id = self._undo.pop()
        target, payload = self._conn.execute(
            "SELECT target, payload FROM audit WHERE id = ?", (audit_id,)
        ).fetchone()
        data = json.loads(payload)
        with transaction(self._conn):
            for coding_id in data["added"]:
                self._conn.execute("DELETE FROM codings WHERE id = ?", (coding_id,))
            self._conn.execute("DELETE FROM memos WHERE id = ?", (data["memo"],))
            if data["done"]:
                self._conn.execute(
                    "DELETE FROM done WHERE document_id = ? AND coder = ?",
                    (data["key"][0], CONSENSUS),
                )
            record(
                self._conn,
                coder=self.adjudicator,
                command=COMMAND,
                action="undo",
                target=target,
                payload={"undid": audit_id},
            )
        return f"the decision on {target}"

    # --- consensus codings -------------------------------------------------------------

    def _coded(self, coder: str, doc: int, start: int, end: int, code: str) -> list[Span]:
        """The coder's codings of the code in the document, clipped to start-end, merged."""
        spans = self._spans.get((coder, doc, code), [])
        return _union([(max(s, start), min(e, end)) for s, e in spans if s < end and start < e])

    def _consensus(self, doc: int, code: str, spans: list[Span], evidence: str) -> list[Coding]:
        text = self._corpus.texts[doc]
        version = self._corpus.codebook.version
        return [
            Coding(0, doc, s, e, text[s:e], code, CONSENSUS, "accepted", reviewer=self.adjudicator,
                   evidence=evidence, codebook_version=version)
            for s, e in spans
        ]  # fmt: skip

    def _copy_agreements(self, agreed: list[tuple[str, RatedSpan]]) -> int:
        """Copy every unit both coders coded to consensus; mark settled documents done."""
        codings: list[Coding] = []
        why = f"agreed: {' and '.join(self.coders)}"
        for code, r in agreed:
            spans = _union(
                *(self._coded(c, r.document_id, r.start, r.end, code) for c in self.coders)
            )
            codings.extend(self._consensus(r.document_id, code, spans, why))
        with transaction(self._conn):
            added = add_codings(self._conn, codings)
            waiting = {d.document_id for d in self.queue()}
            done = [
                d
                for d in self._documents
                if d not in waiting and mark_done(self._conn, d, CONSENSUS)
            ]
            if added or done:
                record(
                    self._conn,
                    coder=self.adjudicator,
                    command=COMMAND,
                    action="copy agreements",
                    target=" vs ".join(self.coders),
                    payload={"coders": list(self.coders), "added": added, "done": done},
                )
        return len(added)

    def _finish(self, decided: Disagreement) -> bool:
        """Mark the document done for consensus if this was its last open disagreement."""
        doc = decided.document_id
        left = [d for d in self.queue() if d.document_id == doc and d.key != decided.key]
        return not left and mark_done(self._conn, doc, CONSENSUS)


def _check(coders: Sequence[str], adjudicator: str, unit: str) -> tuple[str, str]:
    chosen = tuple(dict.fromkeys(coders))
    if len(chosen) != 2:
        raise QualmineError(
            f"adjudication compares exactly two coders; got {', '.join(chosen) or 'none'}"
        )
    if CONSENSUS in chosen or adjudicator == CONSENSUS:
        raise QualmineError(
            f"{CONSENSUS!r} is the coder adjudication writes; compare two other coders and "
            "act as yourself (--as NAME)"
        )
    if unit not in UNITS:
        raise QualmineError(f"adjudication works on {', '.join(UNITS)} units, not {unit!r}")
    return chosen[0], chosen[1]


def _sorted_rows(
    rows: dict[str, tuple[RatedSpan, ...]], names: dict[int, str]
) -> tuple[list[Disagreement], list[tuple[str, RatedSpan]]]:
    """The disagreements (in document, text and code order) and the agreements on presence."""
    order = {code: i for i, code in enumerate(rows)}
    disagreements: list[Disagreement] = []
    agreed: list[tuple[str, RatedSpan]] = []
    for code, spans in rows.items():
        for r in spans:
            a, b = r.values[0], r.values[1]
            if a is None or b is None:
                continue
            if a == b == 1:
                agreed.append((code, r))
            elif a != b:
                disagreements.append(
                    Disagreement(
                        r.document_id, names[r.document_id], r.start, r.end, r.turn, code,
                        (a == 1, b == 1),
                    )
                )  # fmt: skip
    disagreements.sort(key=lambda d: (d.document, d.start, d.end, order[d.code]))
    return disagreements, agreed


def _union(*groups: list[Span]) -> list[Span]:
    """The spans of every group, sorted, with overlapping or touching spans joined."""
    merged: list[Span] = []
    for s, e in sorted(span for group in groups for span in group):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _where(d: Disagreement) -> str:
    return f"{d.code} in {d.document} {d.start}-{d.end}"

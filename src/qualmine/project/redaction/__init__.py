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

from qualmine.project.redaction.edits import Edit, Redactor, apply_edits
from qualmine.project.redaction.keys import (
    KEY_FORMAT,
    KEY_VERSION,
    check_key_path,
    read_key,
    read_list,
    write_key,
)
from qualmine.project.redaction.names import Entity, Registry
from qualmine.project.redaction.people import build_registry
from qualmine.project.redaction.project import (
    RedactionReport,
    originals_on_disk,
    redact_project,
    reverse_redaction,
    vacuum_project,
)
from qualmine.project.redaction.rewriting import rewrite_database

__all__ = [
    "KEY_FORMAT",
    "KEY_VERSION",
    "Edit",
    "Entity",
    "RedactionReport",
    "Redactor",
    "Registry",
    "apply_edits",
    "build_registry",
    "check_key_path",
    "originals_on_disk",
    "read_key",
    "read_list",
    "redact_project",
    "reverse_redaction",
    "rewrite_database",
    "vacuum_project",
    "write_key",
]

"""Raw turns plus metadata -> a ParsedDocument with roles, cases and case attributes.

Metadata keys read here (front matter, VTT NOTE lines, a sidecar file, CSV columns; keys
ignore case):

- ``roles: {Speaker: interviewer}``; ``interviewer(s):`` and ``participant(s):`` or
  ``interviewee(s):`` (a name, a list, or ``"A, B and C"``);
- ``cases: {Speaker: P03}`` and ``case: P03``;
- ``attributes:``, either ``{P03: {age_band: 30-39}}`` or, for the document's one
  case, ``{age_band: 30-39}``.

Every participant turn has a case: the ``cases`` entry for its speaker; else ``case``
(an error when several participant speakers lack a ``cases`` entry); else the speaker
label, except that a bare role word (``User``, ``Respondent``, ``A``) or no label at all
gives the document name, so that the ``User`` of one interview is not the ``User`` of
the next. A ``cases`` key that names no speaker is an error (a typo would otherwise
file the turns under the wrong case).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from qualmine.errors import InputFileError
from qualmine.models import ParsedDocument, Turn
from qualmine.parsing.labels import RawTurn, role_of_label
from qualmine.parsing.names import match_speaker, split_names
from qualmine.parsing.roles import RoleHints, infer_roles

_ROLE_NAMES = {
    **dict.fromkeys(("interviewer", "moderator", "facilitator", "elicitor"), "interviewer"),
    **dict.fromkeys(("participant", "interviewee", "respondent"), "participant"),
}


def build_document(
    *,
    name: str,
    text: str,
    turns: Sequence[RawTurn],
    metadata: Mapping[str, Any],
    source: str,
    encoding: str,
    roles: Mapping[str, str] | None = None,
    header: Sequence[str] = (),
) -> ParsedDocument:
    """Give raw turns their roles and cases, and wrap everything in a ParsedDocument.

    Args:
        name: the document name.
        text: the document text the turns point into.
        turns: the turns with their speech spans.
        metadata: document metadata; see the module docstring for the keys used.
        source: the path, as given, for the document and for error messages.
        encoding: the encoding the text was decoded with.
        roles: the caller's speaker -> role mapping; it wins over everything else.
        header: the header lines, title first.

    Raises:
        InputFileError: a role or case in the metadata or ``roles`` is malformed.
    """
    speaker_roles = infer_roles(text, turns, _hints(metadata, roles, header, source))
    cases = _cases(metadata, turns, speaker_roles, name, source)
    built = tuple(
        Turn(
            index=i,
            speaker=t.speaker,
            speaker_role=speaker_roles[t.speaker],
            start=t.start,
            end=t.end,
            timestamp=t.timestamp,
            case=cases.get(t.speaker) if speaker_roles[t.speaker] == "participant" else None,
        )
        for i, t in enumerate(turns)
    )
    return ParsedDocument(
        name=name,
        text=text,
        turns=built,
        metadata=plain_metadata(metadata),
        case_attributes=_attributes(metadata, sorted(set(cases.values())), source),
        encoding=encoding,
        source=source,
    )


def _hints(
    metadata: Mapping[str, Any],
    roles: Mapping[str, str] | None,
    header: Sequence[str],
    source: str,
) -> RoleHints:
    return RoleHints(
        roles={
            **_role_map(_get(metadata, "roles"), source, "roles"),
            **_role_map(roles, source, ""),
        },
        interviewers=tuple(_names(metadata, ("interviewer", "interviewers"))),
        participants=tuple(
            _names(metadata, ("participant", "participants", "interviewee", "interviewees"))
        ),
        header=tuple(header),
    )


def _get(metadata: Mapping[str, Any], key: str) -> Any:
    for k, value in metadata.items():
        if str(k).casefold() == key:
            return value
    return None


def _role_map(value: Any, source: str, key: str) -> dict[str, str]:
    if value is None:
        return {}
    where = f"metadata key '{key}'" if key else "the roles given"
    if not isinstance(value, Mapping):
        raise InputFileError(
            source, f"{where} must map speaker names to roles", "e.g. {Ann: interviewer}"
        )
    result = {}
    for speaker, role in value.items():
        normalized = _ROLE_NAMES.get(str(role).strip().casefold())
        if normalized is None:
            raise InputFileError(
                source,
                f"{where}: unknown role {role!r} for speaker {speaker!r}",
                "use interviewer or participant",
            )
        result[str(speaker)] = normalized
    return result


def _names(metadata: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    names: list[str] = []
    for key in keys:
        value = _get(metadata, key)
        items = value if isinstance(value, list) else [value] if value is not None else []
        for item in items:
            names.extend(split_names(str(item)))
    return names


def _cases(
    metadata: Mapping[str, Any],
    turns: Sequence[RawTurn],
    roles: Mapping[str, str],
    name: str,
    source: str,
) -> dict[str, str]:
    speakers = list(dict.fromkeys(t.speaker for t in turns))
    participants = [s for s in speakers if roles[s] == "participant"]
    given = _given_cases(_get(metadata, "cases"), speakers, source)
    given = {s: case for s, case in given.items() if s in participants}
    single = _get(metadata, "case")
    if single is not None and len(participants) > 1 and set(given) != set(participants):
        raise InputFileError(
            source,
            f"metadata key 'case' names one case, but the document has "
            f"{len(participants)} participant speakers ({_listed(participants)})",
            "map each speaker to a case with cases: {Speaker: P03}",
        )
    cases = {}
    for speaker in participants:
        if speaker in given:
            cases[speaker] = given[speaker]
        elif single is not None:
            cases[speaker] = str(single)
        elif not speaker or _is_bare_role(speaker):
            cases[speaker] = name
        else:
            cases[speaker] = speaker
    return cases


def _given_cases(mapped: Any, speakers: Sequence[str], source: str) -> dict[str, str]:
    if mapped is None:
        return {}
    if not isinstance(mapped, Mapping):
        raise InputFileError(
            source, "metadata key 'cases' must map speakers to case names", "e.g. {Ann Lee: P03}"
        )
    given: dict[str, str] = {}
    for label, case in mapped.items():
        speaker = match_speaker(str(label), speakers)
        if speaker is None:
            raise InputFileError(
                source,
                f"metadata key 'cases': no speaker {str(label)!r} (speakers: {_listed(speakers)})",
                "check the spelling",
            )
        given[speaker] = str(case)
    return given


def _listed(speakers: Sequence[str]) -> str:
    shown = ", ".join(repr(s) for s in speakers[:5])
    return shown + (", ..." if len(speakers) > 5 else "") if speakers else "none"


def _is_bare_role(speaker: str) -> bool:
    return role_of_label(speaker) is not None and not speaker.rstrip()[-1:].isdigit()


def _attributes(
    metadata: Mapping[str, Any], cases: Sequence[str], source: str
) -> dict[str, dict[str, str]]:
    value = _get(metadata, "attributes")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputFileError(
            source,
            "metadata key 'attributes' must be a mapping",
            "e.g. {age_band: 30-39} or {P03: {age_band: 30-39}}",
        )
    if value and all(isinstance(v, Mapping) for v in value.values()):
        return {
            str(case): {str(k): _text(v) for k, v in attrs.items()} for case, attrs in value.items()
        }
    if len(cases) != 1:
        raise InputFileError(
            source,
            f"metadata key 'attributes' gives one set of attributes but the document has "
            f"{len(cases)} cases",
            "give attributes per case: {P03: {age_band: 30-39}}",
        )
    return {cases[0]: {str(k): _text(v) for k, v in value.items()}}


def _text(value: Any) -> str:
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return "" if value is None else str(value)


def plain_metadata(value: Any) -> Any:
    """Metadata with dates as ISO strings, so that it can be stored as JSON."""
    if isinstance(value, Mapping):
        return {str(k): plain_metadata(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_metadata(v) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)

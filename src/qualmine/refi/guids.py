"""GUIDs: stable ones for export (uuid5 from stable keys), normalized ones on import."""

from __future__ import annotations

import re
import uuid

# A fixed namespace: the same keys give the same GUIDs in every export, on every machine.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://qualmine.invalid/refi-qda/1")
_GUID = re.compile(r"\{?([0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})\}?")


def stable_guid(kind: str, *keys: str) -> str:
    """The GUID of one thing, from what identifies it (``kind`` keeps kinds apart)."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join((kind, *keys))))


def normalize_guid(value: str | None) -> str:
    """A GUID as compared on import: lower case, braces removed (other text kept as is)."""
    text = (value or "").strip()
    match = _GUID.fullmatch(text)
    return match.group(1).lower() if match else text.lower()

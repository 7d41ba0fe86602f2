"""What a stage's result depends on, in short form: package versions and payload digests.

`qualmine run` skips a stage whose fingerprint is unchanged, and manifests name the
versions that made their files; both are built from these two helpers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from importlib import metadata
from typing import Any

DIGEST_LENGTH = 16


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """The installed version of each named package (``not installed`` when missing)."""
    found: dict[str, str] = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def digest(payload: Any) -> str:
    """A short sha256 of plain data, the same for equal data (keys sorted)."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]

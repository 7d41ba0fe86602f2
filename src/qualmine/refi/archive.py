"""QDPX archives: read with limits and path checks, written byte-for-byte reproducibly.

Nothing is ever extracted to disk: entries are checked by name and size first, and only
the ``.qde`` file and plain-text entries are read, into memory, each read bounded so that
a header that lies about a size cannot get past the limits.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from qualmine.errors import InputFileError

MIB = 2**20
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_DRIVE = re.compile(r"^[A-Za-z]:")
_TEXT_SUFFIXES = (".txt",)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """How much an archive may hold before it is refused as a zip bomb.

    Attributes:
        max_entries: entries in the archive.
        max_entry_bytes: uncompressed size of one entry that is read (.qde, text).
        max_total_bytes: uncompressed size of all entries together, as declared.
        max_ratio: uncompressed / compressed size of any entry above ``ratio_floor``.
        ratio_floor: entries smaller than this are not held to ``max_ratio``.
    """

    max_entries: int = 100_000
    max_entry_bytes: int = 256 * MIB
    max_total_bytes: int = 8 * 1024 * MIB
    max_ratio: float = 200.0
    ratio_floor: int = MIB


@dataclass(frozen=True, slots=True)
class Qdpx:
    """What was read from a QDPX: the project XML and the text entries by lower-case name."""

    qde_name: str
    qde: bytes
    texts: dict[str, bytes] = field(default_factory=dict)
    entries: tuple[str, ...] = ()


def read_qdpx(path: Path, limits: ArchiveLimits | None = None) -> Qdpx:
    """Check a QDPX archive and read its ``.qde`` file and plain-text sources.

    Raises:
        InputFileError: not a zip, an unsafe entry name, too big, no or several .qde files.
    """
    limits = limits or ArchiveLimits()
    zf = open_zip(path)
    with zf:
        infos = check_entries(zf, path, limits)
        qde = _find_qde(infos, path)
        texts = {
            PurePosixPath(_clean(i.filename)).name.lower(): read_entry(zf, i, path, limits)
            for i in infos
            if i.filename.lower().endswith(_TEXT_SUFFIXES) and i is not qde
        }
        data = read_entry(zf, qde, path, limits)
    return Qdpx(qde.filename, data, texts, tuple(i.filename for i in infos))


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open a zip file, or say in one line why it cannot be."""
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise InputFileError(path, "no such file", "check the path") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(path, f"not a zip archive ({exc})", "is it a .qdpx file?") from None


def check_entries(zf: zipfile.ZipFile, path: Path, limits: ArchiveLimits) -> list[zipfile.ZipInfo]:
    """Refuse unsafe names (``..``, absolute, drive letters), encryption and zip bombs."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > limits.max_entries:
        raise InputFileError(path, f"refused: {len(infos)} entries, over {limits.max_entries}")
    total = 0
    for info in infos:
        _check_name(info.filename, path)
        if info.flag_bits & 0x1:
            raise InputFileError(f"{path}:{info.filename}", "refused: the entry is encrypted")
        size = info.file_size
        ratio = size / max(info.compress_size, 1)
        if size > limits.ratio_floor and ratio > limits.max_ratio:
            raise InputFileError(
                f"{path}:{info.filename}",
                f"refused as a zip bomb: {size:,} bytes packed {ratio:,.0f} to 1",
                f"the limit is {limits.max_ratio:,.0f} to 1",
            )
        total += size
    if total > limits.max_total_bytes:
        raise InputFileError(
            path, f"refused: {total:,} bytes unpacked, over {limits.max_total_bytes:,}"
        )
    return infos


def _check_name(name: str, path: Path) -> None:
    clean = name.replace("\\", "/")
    parts = clean.split("/")
    if clean.startswith("/") or _DRIVE.match(clean) or ".." in parts or "\x00" in name:
        raise InputFileError(
            f"{path}:{name}",
            "refused: the entry's path leaves the archive",
            "an absolute path or '..': the archive is damaged or hostile",
        )


def _clean(name: str) -> str:
    return name.replace("\\", "/")


def read_entry(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, limits: ArchiveLimits
) -> bytes:
    """An entry's bytes, refusing more than ``max_entry_bytes`` whatever the header says."""
    if info.file_size > limits.max_entry_bytes:
        raise InputFileError(
            f"{path}:{info.filename}",
            f"refused: {info.file_size:,} bytes unpacked, over {limits.max_entry_bytes:,}",
        )
    try:
        with zf.open(info) as stream:
            data = stream.read(limits.max_entry_bytes + 1)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputFileError(f"{path}:{info.filename}", f"cannot unpack ({exc})") from None
    if len(data) > limits.max_entry_bytes:
        raise InputFileError(
            f"{path}:{info.filename}", f"refused: over {limits.max_entry_bytes:,} bytes unpacked"
        )
    return data


def _find_qde(infos: list[zipfile.ZipInfo], path: Path) -> zipfile.ZipInfo:
    found = [i for i in infos if i.filename.lower().endswith(".qde")]
    if not found:
        raise InputFileError(path, "no .qde file in the archive", "is it a REFI-QDA project?")
    if len(found) > 1:
        named = [
            i for i in found if PurePosixPath(_clean(i.filename)).name.lower() == "project.qde"
        ]
        if len(named) != 1:
            listed = ", ".join(i.filename for i in found)
            raise InputFileError(path, f"several .qde files ({listed})", "keep one")
        return named[0]
    return found[0]


def zip_bytes(entries: Mapping[str, bytes]) -> bytes:
    """A zip whose bytes depend on the entries only: sorted names, fixed times and modes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            target.writestr(info, entries[name])
    return out.getvalue()


def normalize_zip(data: bytes) -> bytes:
    """Rewrite an XLSX reproducibly: same content, same bytes.

    openpyxl stamps the save time into ``docProps/core.xml`` whatever the workbook says,
    so that stamp is set back to a fixed date here.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = {i.filename: source.read(i) for i in source.infolist()}
    core = entries.get("docProps/core.xml")
    if core is not None:
        entries["docProps/core.xml"] = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", core)
    return zip_bytes(entries)

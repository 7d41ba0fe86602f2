"""The codebook that several test files code the public-domain oral histories with."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

FLIGHT = ("flight", "orbit", "mission", "shuttle")
TRAINING = ("training", "trained", "school", "learn")
FAMILY = ("family", "wife", "husband", "children", "mother", "father")


def oral_codebook(
    *,
    flight: Sequence[str] = FLIGHT,
    training: Sequence[str] = TRAINING,
    family: Sequence[str] = FAMILY,
) -> str:
    """The three-code oral-history codebook, with these keywords for each code."""
    return f"""\
format_version: 1
name: Oral histories
codes:
  - id: flight
    name: Flight
    definition: Flying, orbits and missions.
    examples: ["It was my first flight.", "We were in orbit for ten days."]
    keywords: [{", ".join(flight)}]
  - id: training
    name: Training
    definition: Being trained or training others.
    examples: ["We trained all over.", "Training took two years."]
    keywords: [{", ".join(training)}]
  - id: family
    name: Family
    definition: Family members and home life.
    examples: ["My wife was worried.", "The children grew up in Houston."]
    keywords: [{", ".join(family)}]
"""


def use_oral_codebook(folder: Path, **keywords: Sequence[str]) -> None:
    """Write the codebook into a new project's folder and point its qualmine.toml at it."""
    (folder / "codebook.yaml").write_text(oral_codebook(**keywords))
    toml = folder / "qualmine.toml"
    commented = '# codebook = "codebooks/codebook.yaml"'
    assert commented in toml.read_text()
    toml.write_text(toml.read_text().replace(commented, 'codebook = "codebook.yaml"'))

"""spaCy Matcher token patterns: structure, attributes the pipeline sets, and spaCy's own check."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from qualmine.codebook.problems import Collector
from qualmine.codebook.schema import did_you_mean
from qualmine.language import SETTABLE_ATTRIBUTES, UNSET_ATTRIBUTES

if TYPE_CHECKING:
    from spacy.vocab import Vocab

Pattern = tuple[dict[str, Any], ...]
_SHAPE = "patterns must be a list of patterns, each a list of token dicts: [[{LOWER: word}]]"


def read_patterns(node: Node, key: str, out: Collector) -> tuple[Pattern, ...]:
    """Read ``patterns``, reporting each bad pattern at its own line."""
    if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return ()
    if not isinstance(node, SequenceNode):
        out.error(node, _SHAPE)
        return ()
    patterns: list[Pattern] = []
    for item in node.value:
        pattern = _read_pattern(item, out)
        if pattern is not None:
            patterns.append(pattern)
    return tuple(patterns)


def _read_pattern(node: Node, out: Collector) -> Pattern | None:
    if isinstance(node, MappingNode):
        out.error(
            node,
            "each pattern must be a list of token dicts; this is one token dict "
            "(write [[{...}, {...}]] for a pattern of several tokens)",
        )
        return None
    if not isinstance(node, SequenceNode) or not node.value:
        out.error(node, _SHAPE)
        return None
    problems = [problem for token in node.value for problem in _token_problems(token)]
    for where, message in problems:
        out.error(where, message)
    if problems:
        return None
    try:
        value = SafeConstructor().construct_document(node)
    except ConstructorError as error:
        out.error(node, f"invalid spaCy pattern: {error.problem}")
        return None
    pattern = tuple(dict(token) for token in value)
    spacy_problem = spacy_pattern_problem(list(pattern))
    if spacy_problem:
        out.error(node, f"invalid spaCy pattern: {spacy_problem}")
        return None
    return pattern


def _token_problems(token: Node) -> list[tuple[Node, str]]:
    if not isinstance(token, MappingNode):
        return [(token, "pattern tokens must be dicts such as {LOWER: word}")]
    problems: list[tuple[Node, str]] = []
    for key_node, _ in token.value:
        attribute = str(key_node.value).upper()
        if attribute in UNSET_ATTRIBUTES:
            problems.append(
                (
                    key_node,
                    f"pattern attribute {attribute} is not set by the pipeline (the blank English "
                    f"pipeline sets no {attribute}; use LOWER or LEMMA)",
                )
            )
        elif attribute not in SETTABLE_ATTRIBUTES:
            hint = did_you_mean(attribute, sorted(SETTABLE_ATTRIBUTES))
            problems.append((key_node, f"unknown pattern attribute '{key_node.value}'{hint}"))
    return problems


def spacy_pattern_problem(pattern: list[dict[str, Any]]) -> str:
    """What spaCy's Matcher says about a pattern, in one line; ``""`` when it accepts it."""
    from spacy.matcher import Matcher

    matcher = Matcher(_vocab(), validate=True)
    try:
        matcher.add("pattern", [pattern])
    except re.error as error:
        return f"bad REGEX: {error}"
    except (ValueError, KeyError, TypeError) as error:
        return _one_line(str(error))
    return ""


@lru_cache(maxsize=1)
def _vocab() -> Vocab:
    # A bare vocabulary is enough to check patterns and avoids loading lookup tables.
    from spacy.vocab import Vocab

    return Vocab()


def _one_line(message: str) -> str:
    """Condense spaCy's report to ``token N ATTR: problem``, one clause per attribute."""
    found: dict[str, list[str]] = {}
    for line in message.splitlines():
        if not line.startswith("- [pattern -> ") or "] " not in line:
            continue
        path, problem = line[len("- [pattern -> ") :].split("] ", 1)
        steps = path.split(" -> ")
        place = f"token {int(steps[0]) + 1} {steps[1]}" if len(steps) > 1 else "pattern"
        if len(steps) > 2 and steps[-1].isupper():
            place += f" {steps[-1]}"
        found.setdefault(place, []).append(problem)
    if found:
        return "; ".join(f"{place}: {' or '.join(found[place])}" for place in found)
    lines = message.strip().splitlines()
    return re.sub(r"^\[E\d+\]\s*", "", lines[0]) if lines else "rejected by spaCy"

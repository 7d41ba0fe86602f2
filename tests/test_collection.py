"""The garbage collector pause around the rule coder."""

from __future__ import annotations

import gc

import pytest

from conftest import REPO
from qualmine.codebook import load_codebook
from qualmine.coding.rules import RuleCoder
from qualmine.coding.units import Unit
from qualmine.collection import paused_collection


def test_the_collector_is_off_inside_and_as_it_was_after() -> None:
    assert gc.isenabled()
    with paused_collection():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_collection():
        raise RuntimeError("stage failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_rule_coding_leaves_the_collector_on() -> None:
    coder = RuleCoder(load_codebook(REPO / "codebooks" / "study.yaml")).fit()
    text = "I trust what my colleagues tell me over anything I read online."
    unit = Unit(1, 0, len(text), text, "participant", "P01", 0, ((0, len(text)),))
    scored = coder.score([unit])
    assert gc.isenabled()
    assert scored[0].scores

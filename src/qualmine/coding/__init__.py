"""Coding: manual tagging, done-marks, memos; the auto-coders by name."""

"""Ibis-style expected failures per backend: `@pytest.mark.notimpl(["spark"], reason=...)`
(supportmetrics does not implement it there yet) and `@pytest.mark.notyet([...])` (the engine
or Ibis cannot do it yet), optionally with `raises=`. On a listed backend the case must fail:
it runs as a strict xfail, so a case that starts passing is an error and its mark must go."""

from __future__ import annotations

import pytest

__all__ = ["MARKS", "expected_failure"]

MARKS = ("notimpl", "notyet")


def expected_failure(item: pytest.Item, backend: str) -> pytest.MarkDecorator | None:
    """The strict xfail `item`'s notimpl/notyet marks call for on `backend`, if any."""
    for name in MARKS:
        for mark in item.iter_markers(name):
            backends = mark.args[0] if mark.args else mark.kwargs.get("backends", ())
            if backend in backends:
                reason = mark.kwargs.get("reason", f"{name} on {backend}")
                return pytest.mark.xfail(
                    strict=True, reason=f"{name}: {reason}", raises=mark.kwargs.get("raises")
                )
    return None

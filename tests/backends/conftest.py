"""The parity suite's backends (SUPPORTMETRICS_TEST_BACKENDS) and their expected failures."""

from __future__ import annotations

import pytest

from tests.backends.marks import MARKS, expected_failure

BACKEND_FIXTURE = "other"
"""The fixture parametrised by backend name (see test_parity)."""


def pytest_configure(config: pytest.Config) -> None:
    for name in MARKS:
        config.addinivalue_line(
            "markers", f"{name}(backends, reason, raises): must fail on these backends"
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(item, "callspec", None)
        backend = params.params.get(BACKEND_FIXTURE) if params else None
        if isinstance(backend, str) and (mark := expected_failure(item, backend)):
            item.add_marker(mark)

"""Any other engine Ibis reaches from a URL (`[store] url`), with its own settings."""

from __future__ import annotations

import ibis

from supportmetrics.backends.base import Backend, BackendError, Target, temporary_table

__all__ = ["BACKEND", "from_url"]


def from_url(target: Target, session: object | None) -> ibis.BaseBackend:
    """`ibis.connect([store] url)`; a session object cannot be used."""
    if session is not None:
        raise BackendError(
            f"a {type(session).__name__} cannot be used here: pass an Ibis backend, "
            "or connect from [store] url"
        )
    url = target.config.store.url
    if not url:
        raise BackendError("this backend connects from [store] url: set it in supportmetrics.toml")
    return ibis.connect(url)


BACKEND = Backend("ibis", from_url, temporary_table)

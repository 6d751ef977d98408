"""Sources: the tools support teams use, turned into the canonical tables (see `base`)."""

from supportmetrics.sources import (
    asterisk,
    chatwoot,
    csv,
    freshdesk,
    intercom,
    twitter,
    zendesk,
)
from supportmetrics.sources._engine import limits
from supportmetrics.sources.base import Conversion, Convert, Source, SourceError

__all__ = ["SOURCES", "Conversion", "Convert", "Source", "SourceError", "limits", "source"]

SOURCES: dict[str, Source] = {
    module.SOURCE.name: module.SOURCE
    for module in (
        zendesk,
        freshdesk,
        intercom,
        chatwoot,
        asterisk,
        twitter,
        csv,
    )
}
"""Every importer by name, in the order `supportmetrics import --list` shows them."""


def source(name: str) -> Source:
    """The importer `name`; SourceError listing the valid names if there is none."""
    try:
        return SOURCES[name]
    except KeyError:
        raise SourceError(
            f"unknown source {name!r}; the sources are: {', '.join(SOURCES) or 'none'}"
        ) from None

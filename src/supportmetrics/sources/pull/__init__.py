"""Pull connectors: read a tool's public incremental API page by page into the store, through the
tool's importer, saving the cursor after each committed page (`supportmetrics pull`)."""

from supportmetrics.sources.pull import freshdesk, intercom, zendesk
from supportmetrics.sources.pull.base import Account, Connector, Page
from supportmetrics.sources.pull.http import Client, PullError
from supportmetrics.sources.pull.run import PullSummary, default_state, pull

__all__ = [
    "CONNECTORS",
    "Account",
    "Client",
    "Connector",
    "Page",
    "PullError",
    "PullSummary",
    "default_state",
    "pull",
]

CONNECTORS: dict[str, Connector] = {
    c.name: c for c in (zendesk.CONNECTOR, freshdesk.CONNECTOR, intercom.CONNECTOR)
}
"""Every pull connector by name."""

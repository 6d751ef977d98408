"""The dashboard and JSON API (`supportmetrics serve`)."""

from supportmetrics.web.app import create_app

__all__ = ["create_app"]

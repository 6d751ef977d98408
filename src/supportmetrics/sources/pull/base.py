"""What a pull connector is: an API account read from the environment, a starting cursor, and the
pages of records it fetches from a cursor, each written in the source's export shape."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from supportmetrics.sources.pull.http import Client, PullError

__all__ = ["Account", "Connector", "Page", "iso", "next_window", "required", "unix"]


@dataclass(frozen=True)
class Account:
    """Where the API is and how to authenticate; `label` identifies it in the state file."""

    base_url: str
    headers: Mapping[str, str] = field(repr=False)
    label: str


@dataclass(frozen=True)
class Page:
    """One page of tickets with all their children, and the cursor after it."""

    files: dict[str, list[dict[str, Any]]]
    """File name (named after its records, e.g. `ticket_audits.jsonl`) -> API records."""
    cursor: dict[str, Any]
    """Where the next page starts once this one is committed."""
    tickets: int
    """How many tickets (conversations) the page holds."""


@dataclass(frozen=True)
class Connector:
    """One API: the importer (`name` in `sources.SOURCES`) its pages go through."""

    name: str
    title: str
    variables: tuple[str, ...]
    """The environment variables it reads (the required ones first)."""
    account: Callable[[Mapping[str, str]], Account]
    start: Callable[[datetime], dict[str, Any]]
    """The cursor of a first pull from `--since`."""
    pages: Callable[[Client, dict[str, Any], int], Iterator[Page]]
    """pages(client, cursor, page_size): the pages from `cursor` until the API has no more."""
    page_size: int
    """The largest page the API gives (the default of `--page-size`)."""


def required(environ: Mapping[str, str], name: str, what: str) -> str:
    """The value of environment variable `name`; PullError saying what to set when missing."""
    value = environ.get(name, "").strip()
    if not value:
        raise PullError(f"environment variable {name} is not set: set it to {what}")
    return value


def unix(moment: datetime) -> int:
    """Whole Unix seconds of an aware datetime."""
    return int(moment.timestamp())


def iso(seconds: float) -> str:
    """Unix seconds as ISO 8601 UTC text with a Z."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_window(since: float, newest: float | None, more: bool) -> float | None:
    """Where a list ordered by update time restarts after a committed page, or None to ask for
    the following page of the same listing.

    The restart is one second before the newest update in the page, so that records updated in
    that same second are listed again whether the API's bound is inclusive or not (re-importing
    them is harmless). When the whole page shares the second the listing started from, restarting
    would not move: the caller pages on instead.
    """
    if newest is None:
        return since
    restart = newest - 1
    if not more:
        return max(since, restart)
    return restart if restart > since else None

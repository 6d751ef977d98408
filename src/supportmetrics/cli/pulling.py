"""`supportmetrics pull`: read a tool's incremental API into the store, page by page, resuming
from the position saved after the last committed page."""

from __future__ import annotations

import os
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from supportmetrics.cli.batch import OnError
from supportmetrics.cli.options import FormatOption, WorkspaceOption
from supportmetrics.cli.output import (
    EXIT_BUSY,
    EXIT_USAGE,
    Format,
    emit,
    err,
    fail,
    open_workspace,
    print_json,
)

__all__ = ["commands"]

commands = typer.Typer()


class Api(StrEnum):
    """The tools `pull` reads (`supportmetrics.sources.pull.CONNECTORS`)."""

    zendesk = "zendesk"
    freshdesk = "freshdesk"
    intercom = "intercom"


@commands.command("pull")
def pull_command(
    api: Annotated[Api, typer.Argument(metavar="SOURCE", help="zendesk, freshdesk or intercom.")],
    since: Annotated[
        str | None,
        typer.Option(
            help="First pull: records updated from this date or time (ISO 8601; without an "
            "offset, in the workspace's time zone). Ignored when a saved position exists.",
            show_default=False,
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            help="The position file (default: .supportmetrics/pull/SOURCE.json in the workspace).",
            show_default=False,
        ),
    ] = None,
    page_size: Annotated[
        int | None,
        typer.Option(
            min=1, help="Tickets per page (default: the API's largest).", show_default=False
        ),
    ] = None,
    on_error: Annotated[
        OnError, typer.Option(help="Invalid rows: fail the page, or load the valid ones.")
    ] = OnError.fail,
    workspace: WorkspaceOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Pull what changed since --since (or since the saved position) from the tool's API.

    Credentials from the environment only: ZENDESK_SUBDOMAIN, ZENDESK_EMAIL, ZENDESK_API_TOKEN;
    FRESHDESK_DOMAIN, FRESHDESK_API_KEY; INTERCOM_ACCESS_TOKEN (ZENDESK_BASE_URL, FRESHDESK_BASE_URL,
    INTERCOM_BASE_URL: another address, e.g. a proxy). Each page is committed before its position
    is saved, so a stopped pull resumes where it stopped.
    """
    from supportmetrics.ingest import IngestError
    from supportmetrics.sources.pull import CONNECTORS, PullError, default_state, pull
    from supportmetrics.store import WorkspaceBusy

    connector = CONNECTORS[api.value]
    ws = open_workspace(workspace)
    try:
        start = _since(since, ws.config.timezone) if since else None
        path = state or default_state(ws, connector)
        summary = pull(
            connector,
            ws,
            since=start,
            state_path=path,
            environ=os.environ,
            page_size=min(page_size or connector.page_size, connector.page_size),
            on_error=on_error.value,
            progress=lambda line: err.print(line, markup=False, highlight=False),
        )
    except PullError as exc:
        raise fail(f"{exc}; the position saved so far is kept") from None
    except IngestError as exc:
        err.print(exc.describe(), markup=False, highlight=False)
        raise fail(
            f"{exc.total} problem(s) in a page from the API; that page was not loaded and the "
            "position before it is kept. Fix the data in the tool, or load the valid rows with "
            "--on-error quarantine."
        ) from None
    except WorkspaceBusy as exc:
        raise fail(str(exc), EXIT_BUSY) from None
    except KeyboardInterrupt:
        raise fail(
            "interrupted: the pages committed so far are in the store and their position is "
            "saved; run the same command to go on"
        ) from None
    finally:
        ws.close()
    if fmt is Format.json:
        print_json(summary.to_dict())
        return
    rows = [{"table": name, "rows loaded": n} for name, n in summary.tables.items()]
    emit(rows, fmt, title=f"pulled from {connector.title}")
    err.print(
        f"{summary.pages} page(s), {summary.tickets:,} ticket(s), {summary.rows_loaded:,} rows "
        f"loaded in {summary.requests} request(s); position saved in {path}",
        markup=False,
        highlight=False,
    )


def _since(text: str, timezone: str) -> datetime:
    """--since as an aware datetime (no offset: the workspace's time zone); bad usage otherwise."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise fail(
            f"--since {text!r} is not a date or time: use ISO 8601, e.g. 2024-01-31 or "
            "2024-01-31T08:00:00Z",
            EXIT_USAGE,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))

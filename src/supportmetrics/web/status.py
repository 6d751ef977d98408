"""What the filter bar states about the data and the view: the data's last day, when it was last
loaded, and the range and filters every number on the page is under."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from supportmetrics.engine import Engine
from supportmetrics.store import INGESTS_TABLE
from supportmetrics.web.params import ANCHORS, PRESET_LABELS, View
from supportmetrics.web.queries import today

__all__ = ["data_status", "last_loaded", "view_statement"]


def last_loaded(engine: Engine) -> datetime | None:
    """When the latest ingest finished (UTC), or None when the store keeps no ingest record."""
    try:
        ingests = engine.db.table(INGESTS_TABLE)
        found = engine.db.to_pyarrow(ingests.finished_at.max()).as_py()
    except Exception:  # a store without the record (an external database): no stamp
        return None
    return found if isinstance(found, datetime) else None


def view_statement(engine: Engine, view: View) -> dict[str, Any]:
    """The view's range as dates with how it was chosen, and its filters as "name = values"."""
    span = engine.span()
    start, end = view.range(span, today(engine))
    if view.preset is None:
        how = "Custom range"
    elif view.preset == "all":
        how = PRESET_LABELS["all"]
    else:
        how = f"{PRESET_LABELS[view.preset]} up to {ANCHORS[view.anchor]}"
    filters = [f"{name} = {', '.join(values)}" for name, values in view.where]
    if view.clock == "business":
        filters.append("business hours")
    return {"how": how, "from": start.isoformat(), "to": end.isoformat(), "filters": filters}


def data_status(engine: Engine, view: View, loaded: datetime | None) -> dict[str, Any]:
    """The data's first and last day, when it was `loaded` (see `last_loaded`), and the view's
    statement."""
    first, last = engine.span()
    return {
        "first": first.isoformat(),
        "until": last.isoformat(),
        "loaded": loaded.strftime("%Y-%m-%d %H:%M UTC") if loaded else None,
        "view": view_statement(engine, view),
    }

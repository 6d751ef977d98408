"""The dashboard reads a metric as its variants resolve it: the team's `[variants]` settings change
the fact table, aggregation and unit the pages use, so every page number equals the query API's."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import supportmetrics
from supportmetrics.config import CONFIG_FILE
from supportmetrics.metrics import CATALOGUE, Metric
from supportmetrics.query import dimension_names, find_metric, resolve_metric
from supportmetrics.web.pages import metric_page
from supportmetrics.web.params import parse_view
from supportmetrics.web.queries import metric_query, run
from tests.web.conftest import Site, assert_same

SLA = '\n[[sla]]\nname = "all"\nfirst_response_time = "4h"\nresolution_time = "2d"\n'


def _other(metric: Metric) -> dict[str, str]:
    """A value other than the default for each of the metric's variants."""
    chosen = {}
    for v in metric.variants:
        if v.choices:
            chosen[v.name] = next(c for c in v.choices if c != v.default)
        elif isinstance(v.default, bool):
            chosen[v.name] = str(not v.default).lower()
        elif isinstance(v.default, int) and v.parse_with is None:
            chosen[v.name] = str(v.default + 1)
    return chosen


OTHER = {m.id: _other(m) for m in CATALOGUE.values() if _other(m)}


def _toml(variants: dict[str, dict[str, str]]) -> str:
    lines = []
    for metric_id, values in variants.items():
        lines.append(f"\n[variants.{metric_id}]")
        lines += [f'{k} = "{v}"' for k, v in values.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def varied(
    site: Site, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[supportmetrics.Workspace]:
    """A copy of the demo workspace whose settings choose a non-default value for every variant
    (bot_resolution_rate: source = tickets), with an SLA policy."""
    root: Path = tmp_path_factory.mktemp("varied")
    for name in (CONFIG_FILE, "supportmetrics.duckdb"):
        shutil.copy(site.root / name, root / name)
    config = root / CONFIG_FILE
    config.write_text(config.read_text() + SLA + _toml(OTHER))
    workspace = supportmetrics.connect(root)
    yield workspace
    workspace.close()


def _page(ws: supportmetrics.Workspace, metric_id: str, **filters: str) -> dict:
    view = parse_view([("range", "all"), *filters.items()], ("stat", "by", "period"))
    return metric_page(ws.engine(), ws.config, metric_id, view)


@pytest.mark.parametrize(("channel", "n"), [("email", 0), ("chat", 348)])
def test_bot_resolution_over_tickets_takes_the_channel_filter(
    varied: supportmetrics.Workspace, channel: str, n: int
) -> None:
    assert OTHER["bot_resolution_rate"] == {"source": "tickets"}
    page = _page(varied, "bot_resolution_rate", channel=channel)
    expected = varied.metric("bot_resolution_rate", where={"channel": [channel]}).rows[0]
    assert page["ignored_filters"] == []
    assert page["headline"]["n"] == expected["n"] == n
    assert page["headline"]["value"] == pytest.approx(expected["value"])


_FILTERS = {"channel": "chat", "tier": "pro", "agent.team": "billing", "kind": "esat"}
"""The filter each metric is checked under: the first its resolved fact table offers."""


@pytest.mark.parametrize("metric_id", list(CATALOGUE))
def test_every_metric_on_the_dashboard_equals_the_query_api(
    varied: supportmetrics.Workspace, metric_id: str
) -> None:
    """Under non-default variants and a filter, the dashboard's headline query (metric_query, as
    the pages run it) gives the query API's rows."""
    engine = varied.engine()
    chosen = find_metric(metric_id)
    resolved = resolve_metric(engine, chosen)
    assert resolved.variants == chosen.resolve_variants(OTHER.get(metric_id, {}))
    offered = dimension_names(engine, resolved.facts)
    name = next(f for f in _FILTERS if f in offered)
    value = _FILTERS[name]
    view = parse_view([("range", "all"), ("where", f"{name}={value}")])
    applied = metric_query(engine, chosen, view)
    assert applied.ignored == () and dict(applied.query.where) == {name: [value]}
    got = run(engine, applied).to_dict()
    query = applied.query
    expected = varied.metric(
        metric_id, where={name: [value]}, stat=query.stat, start=query.start, end=query.end
    )
    # (the filter's warnings, if any: the dashboard checks a view's filters once per page)
    assert_same(got, {k: v for k, v in expected.to_dict().items() if k != "warnings"})
    assert got["unit"] == resolved.unit

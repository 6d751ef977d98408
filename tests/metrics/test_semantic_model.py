"""The catalogue checked against the fact-table registry (as MetricFlow validates semantic models):
each fact table's declaration matches the table its build makes, each metric files rows under one
of its fact table's time columns, aggregates by a known kind, splits by dimensions its fact table
has, and every declared variant is used by something."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import ibis.expr.operations as ops
import pytest

import supportmetrics
from supportmetrics import demo
from supportmetrics.config import CONFIG_FILE
from supportmetrics.engine import Engine
from supportmetrics.facts.registry import FACT_TABLES, OPTION_NAMES, fact_table
from supportmetrics.metrics import CATALOGUE, Metric
from supportmetrics.metrics.base import FactsName, ResolvedMetric, VariantReads
from supportmetrics.query import QueryError, dimension_names, find_metric, run
from supportmetrics.query.aggregations import AGGREGATIONS

SLA = '\n[[sla]]\nname = "all"\nfirst_response_time = "4h"\nresolution_time = "2d"\n'


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[supportmetrics.Workspace]:
    base: Path = tmp_path_factory.mktemp("model")
    workspace = supportmetrics.init(base / "ws")
    config = base / "ws" / CONFIG_FILE
    config.write_text(config.read_text() + SLA)
    demo.write(demo.generate(300, seed=3), base / "data", "parquet")
    workspace.close()
    workspace = supportmetrics.connect(base / "ws")
    workspace.ingest([base / "data"])
    yield workspace
    workspace.close()


def test_the_registry_names_every_fact_table_once() -> None:
    assert tuple(FACT_TABLES) == get_args(FactsName)
    for table in FACT_TABLES.values():
        assert set(table.options) <= set(OPTION_NAMES), table.name
        assert (table.build is None) == table.stored, table.name
        assert table.export is None or table.export in table.time_columns, table.name


@pytest.mark.parametrize("name", list(FACT_TABLES))
def test_each_fact_table_is_what_it_declares(ws: supportmetrics.Workspace, name: str) -> None:
    engine = ws.engine()
    table = fact_table(name)
    facts = engine.facts(name)
    schema = facts.schema()
    for column in table.time_columns:
        assert schema[column].is_timestamp(), (name, column)
    if table.key is not None:
        counts = facts.aggregate(n=facts.count(), keys=facts[table.key].nunique())
        row = engine.db.to_pyarrow(counts).to_pylist()[0]
        assert row["n"] == row["keys"] > 0, (name, table.key)
    assert table.agent is None or table.agent in facts.columns, name
    assert (table.customer is not None) == ("customer_id" in facts.columns), name
    offered = dimension_names(engine, name)
    assert ("agent" in offered) == (table.agent is not None), name
    assert ("hour_of_day" in offered) == table.timed, name


def _columns(node: ops.Node) -> set[str]:
    """The columns a value expression reads (not descending into the relations it reads)."""
    if isinstance(node, ops.Field):
        return {node.name}
    found: set[str] = set()
    for arg in node.__args__:
        for child in arg if isinstance(arg, tuple) else (arg,):
            if isinstance(child, ops.Value):
                found |= _columns(child)
    return found


def _built_filed_at(engine: Engine, resolved: ResolvedMetric) -> set[str] | None:
    """The fact columns a metric's build computes `_filed_at` from, for a metric whose filed-at
    is no single column (None: its build sets none)."""
    facts = engine.facts(resolved.facts, resolved.variants)
    rows = resolved.metric.build(facts, resolved.variants, "calendar")
    if "_filed_at" not in rows.columns:
        return None
    defining = [
        node
        for node in rows.op().find((ops.Project, ops.Aggregate))
        if "_filed_at" in getattr(node, "values", getattr(node, "metrics", {}))
    ]
    names: set[str] = set()
    for node in defining:
        values = getattr(node, "values", getattr(node, "metrics", {}))
        names |= _columns(values["_filed_at"]) - {"_filed_at"}
    return names


def _resolutions(metric: Metric) -> list[dict[str, str]]:
    """Variants choosing each fact table and shape the metric has."""
    given: list[dict[str, str]] = [{}]
    if metric.facts_by is not None:
        name, choices = metric.facts_by
        given += [{name: value} for value in choices]
    if metric.filed_at_by is not None:
        name, filed = metric.filed_at_by
        given += [{name: value} for value in filed]
    for v in metric.variants:
        if v.choices and metric.shape is not None:
            given += [{v.name: value} for value in v.choices]
    return given


@pytest.mark.parametrize("metric_id", list(CATALOGUE))
def test_each_metric_files_rows_under_a_time_column_of_its_facts(
    ws: supportmetrics.Workspace, metric_id: str
) -> None:
    engine = ws.engine()
    metric = CATALOGUE[metric_id]
    for given in _resolutions(metric):
        resolved = metric.resolve(metric.resolve_variants(given))
        table = fact_table(resolved.facts)
        built = _built_filed_at(engine, resolved)
        if resolved.filed_at is not None:
            assert resolved.filed_at in table.time_columns, (metric_id, given, resolved.filed_at)
            assert built is None, (metric_id, "declares filed_at and sets _filed_at too")
        elif built is not None:
            assert built and built <= set(table.time_columns), (metric_id, given, built)
        if metric.top is not None:
            assert metric.top in engine.facts(resolved.facts).columns, metric_id


def test_every_metric_declares_its_filed_at_column_but_snapshots_and_cohorts() -> None:
    """Snapshot and cohort metrics file no rows; survey_response_rate's build files a row under its
    invitation's sending, or its response's submission when it answers none."""
    undeclared = {m.id for m in CATALOGUE.values() if m.filed_at is None and m.filed_at_by is None}
    assert undeclared == {
        "customer_churn",
        "customer_retention",
        "mrr",
        "mrr_growth",
        "support_retention_link",
        "survey_response_rate",
    }


@pytest.mark.parametrize("metric_id", list(CATALOGUE))
def test_each_metric_aggregates_by_a_known_kind_over_dimensions_its_facts_have(
    ws: supportmetrics.Workspace, metric_id: str
) -> None:
    metric = CATALOGUE[metric_id]
    for given in _resolutions(metric):
        resolved = metric.resolve(metric.resolve_variants(given))
        assert resolved.aggregation in AGGREGATIONS, (metric_id, given, resolved.aggregation)
        offered = dimension_names(ws.engine(), resolved.facts)
        assert set(metric.split_by) <= set(offered), (metric_id, given)


@pytest.mark.parametrize("metric_id", [m.id for m in CATALOGUE.values() if m.variants])
def test_every_declared_variant_is_used(
    ws: supportmetrics.Workspace, metric_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each variant is read by the metric's build, shape, extras or aggregation, chooses its fact
    table, or is an option of the fact table it resolves to: a misspelt one is not."""
    metric = CATALOGUE[metric_id]
    reads: list[VariantReads] = []
    used: set[str] = set()
    resolve = run.resolve_metric

    def tracked(engine: Engine, chosen: Metric, given: Any = None) -> ResolvedMetric:
        variants = VariantReads(resolve(engine, chosen, given).variants)
        reads.append(variants)
        resolved = chosen.resolve(variants)
        used.update(n for n in variants._variants if n in fact_table(resolved.facts).options)
        return resolved

    monkeypatch.setattr(run, "resolve_metric", tracked)
    for given in _resolutions(metric):
        ws.metric(metric_id, variants=given, period="month")
    used |= {n for r in reads for n in r.read}
    if metric.facts_by is not None:
        used.add(metric.facts_by[0])
    if metric.filed_at_by is not None:
        used.add(metric.filed_at_by[0])
    assert {v.name for v in metric.variants} <= used


def test_an_unknown_metric_is_named_with_the_closest_ids() -> None:
    with pytest.raises(QueryError, match=r"unknown metric 'csta' \(did you mean csat\?\)"):
        find_metric("csta")

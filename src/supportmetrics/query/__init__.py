"""One query API for every metric: metric + dimensions + period + range + filters -> result rows."""

from supportmetrics.query.dimensions import dimension_names
from supportmetrics.query.lookup import find_metric
from supportmetrics.query.model import PERIODS, Period, Query, QueryError, Result, Row
from supportmetrics.query.run import (
    Population,
    facts_rows,
    facts_warnings,
    population,
    resolve_metric,
    run_query,
)

__all__ = [
    "PERIODS",
    "Period",
    "Population",
    "Query",
    "QueryError",
    "Result",
    "Row",
    "dimension_names",
    "facts_rows",
    "facts_warnings",
    "find_metric",
    "population",
    "resolve_metric",
    "run_query",
]

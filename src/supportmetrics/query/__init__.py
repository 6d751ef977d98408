"""One query API for every metric: metric + dimensions + period + range + filters -> result rows."""

from supportmetrics.query.dimensions import dimension_names
from supportmetrics.query.model import PERIODS, Period, Query, QueryError, Result
from supportmetrics.query.run import facts_rows, run_query

__all__ = [
    "PERIODS",
    "Period",
    "Query",
    "QueryError",
    "Result",
    "dimension_names",
    "facts_rows",
    "run_query",
]

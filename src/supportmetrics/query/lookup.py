"""Finding a catalogue metric by id: one message, with the list and a suggestion, everywhere."""

from __future__ import annotations

from difflib import get_close_matches

from supportmetrics.metrics import CATALOGUE, Metric
from supportmetrics.query.model import QueryError

__all__ = ["find_metric"]


def find_metric(metric_id: str) -> Metric:
    """The catalogue entry `metric_id`; a QueryError listing the metrics (and the closest ids)
    if there is none."""
    try:
        return CATALOGUE[metric_id]
    except KeyError:
        pass
    close = get_close_matches(metric_id, list(CATALOGUE), n=3)
    if close:
        raise QueryError(
            f"unknown metric {metric_id!r} (did you mean {' or '.join(close)}?); "
            "`supportmetrics metrics list` shows every metric"
        )
    raise QueryError(f"unknown metric {metric_id!r}; the metrics are: {', '.join(CATALOGUE)}")

"""Aggregation kinds: one module each, registered by name (see `base`).

Importing the package imports every module in it, so a new kind is one new module.
"""

from importlib import import_module
from pkgutil import iter_modules

from supportmetrics.query.aggregations.base import AGGREGATIONS, Aggregation, aggregation

__all__ = ["AGGREGATIONS", "Aggregation", "aggregation"]

for _module in iter_modules(__path__):
    import_module(f"{__name__}.{_module.name}")

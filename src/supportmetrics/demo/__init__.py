"""Realistic, deterministic demo data for every table of the data model.

Usage::

    tables = generate(tickets=10_000, seed=0)
    write(tables, Path("demo-data"), fmt="csv")
"""

from ._clock import END, OUTAGE_WEEK, START, TIME_ZONE
from .generator import generate
from .settings import DEMO_SETTINGS, add_demo_settings
from .writer import FORMATS, write

__all__ = [
    "DEMO_SETTINGS",
    "END",
    "FORMATS",
    "OUTAGE_WEEK",
    "START",
    "TIME_ZONE",
    "add_demo_settings",
    "generate",
    "write",
]

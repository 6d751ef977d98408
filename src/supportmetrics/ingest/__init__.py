"""Reading, validating and loading input files into the store."""

from supportmetrics.ingest.batch import IngestReport, OnError, TableLoad, run_batch
from supportmetrics.ingest.files import SourceFile, find_sources
from supportmetrics.ingest.problems import IngestError, Problem

__all__ = [
    "IngestError",
    "IngestReport",
    "OnError",
    "Problem",
    "SourceFile",
    "TableLoad",
    "find_sources",
    "run_batch",
]

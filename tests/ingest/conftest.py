"""The malformed-input corpus: the committed text files of `corpus/` plus binary ones made here."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

CORPUS = Path(__file__).parent / "corpus"
_HEADER = b"ticket_id,created_at,channel\n"
_ROWS = b"".join(b"T%d,2024-02-01T10:00:00Z,email\n" % i for i in range(100, 3100))
"""3,000 valid rows (about 95 KB): a NUL after them lies past the first 64 KB, on line 3002."""


def _parquet(path: Path, created: list[datetime]) -> None:
    ids = [f"T{100 + i}" for i in range(len(created))]
    table = pa.table({"ticket_id": ids, "created_at": created, "channel": ["email"] * len(created)})
    pq.write_table(table, path)


def _truncated_parquet(path: Path) -> None:
    _parquet(path, [datetime(2024, 2, 1)] * 100)
    path.write_bytes(path.read_bytes()[:-40])


GENERATED: dict[str, Callable[[Path], None]] = {
    "tickets_binary.csv": lambda p: p.write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    ),
    "tickets_nul_after_64kb.csv": lambda p: p.write_bytes(
        _HEADER + _ROWS + b"T9,2024-02-01,em\x00ail\n"
    ),
    "tickets_nul.csv.gz": lambda p: p.write_bytes(
        gzip.compress(_HEADER + _ROWS + b"T9,2024-02-01,em\x00ail\n")
    ),
    "tickets_truncated.csv.gz": lambda p: p.write_bytes(gzip.compress(_HEADER + _ROWS)[:2000]),
    "tickets_corrupt.csv.gz": lambda p: p.write_bytes(
        gzip.compress(_HEADER + _ROWS)[:20] + b"\xff" * 200
    ),
    "tickets_truncated.parquet": _truncated_parquet,
    "tickets_year_9999.parquet": lambda p: _parquet(
        p, [datetime(2024, 2, 1), datetime(9999, 12, 31)]
    ),
    "tickets_nul_value.parquet": lambda p: pq.write_table(
        pa.table(
            {
                "ticket_id": ["T100", "T101"],
                "created_at": ["2024-02-01", "2024-02-01"],
                "channel": ["email", "em\x00ail"],
            }
        ),
        p,
    ),
    "calls_nul.jsonl": lambda p: p.write_bytes(
        b'{"call_id": "C10", "queued_at": "2024-01-01", "outcome": "abandoned"}\n' * 1500
        + b'{"call_id": "C\x0011", "queued_at": "2024-01-01", "outcome": "abandoned"}\n'
    ),
}
"""Binary corpus files, made by the fixture rather than committed."""


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding every corpus file: the committed ones copied, the binary ones made."""
    folder = tmp_path_factory.mktemp("corpus")
    for path in CORPUS.iterdir():
        shutil.copyfile(path, folder / path.name)
    for name, make in GENERATED.items():
        make(folder / name)
    return folder

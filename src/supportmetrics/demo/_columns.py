"""Vectorised building blocks: random draws, id columns, Arrow columns and child-row accumulators."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

__all__ = [
    "Rows",
    "choose",
    "choose_rows",
    "first_in_group",
    "ids",
    "last_in_group",
    "lognormal",
    "strings",
    "tag_lists",
    "take",
    "timestamps",
]

_TIMESTAMP = pa.timestamp("us", tz="UTC")


def choose(rng: np.random.Generator, probs: Sequence[float], n: int) -> np.ndarray:
    """n draws of an index into probs (normalised)."""
    p = np.asarray(probs, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def choose_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One index per row of probs (rows x choices), drawn by that row's weights."""
    p = np.asarray(probs, dtype=float)
    cum = np.cumsum(p, axis=1)
    u = rng.random(len(p)) * cum[:, -1]
    return (u[:, None] >= cum[:, :-1]).sum(axis=1)


def lognormal(
    rng: np.random.Generator, median: np.ndarray | float, sigma: float, n: int
) -> np.ndarray:
    """Lognormal draws with the given median(s)."""
    return np.asarray(median) * rng.lognormal(0.0, sigma, n)


def first_in_group(keys: np.ndarray) -> np.ndarray:
    """For sorted keys: True at the first row of each run of equal keys."""
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return first


def last_in_group(keys: np.ndarray) -> np.ndarray:
    """For sorted keys: True at the last row of each run of equal keys."""
    last = np.ones(len(keys), dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]
    return last


def ids(prefix: str, n: int, width: int = 6) -> pa.Array:
    """prefix + 1..n zero-padded ('T000001'); the width grows when n needs more digits.

    Built as one fixed-width byte buffer (no intermediate string arrays), wrapped without a copy.
    """
    digits = max(width, len(str(n)))
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    size = len(head) + digits
    data = np.empty((n, size), dtype=np.uint8)
    data[:, : len(head)] = head
    numbers = np.arange(1, n + 1, dtype=np.int64)
    for position in range(size - 1, len(head) - 1, -1):  # one pass per digit, right to left
        data[:, position] = ord("0") + numbers % 10
        numbers //= 10
    offsets = np.arange(0, (n + 1) * size, size, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def take(values: pa.Array, index: np.ndarray) -> pa.Array:
    """values[index], null where index < 0."""
    missing = index < 0
    return values.take(pa.array(index, mask=missing if missing.any() else None))


def strings(vocab: Sequence[str], codes: np.ndarray) -> pa.Array:
    """The strings vocab[code], null where code < 0."""
    return take(pa.array(list(vocab), pa.string()), codes)


def timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """UTC microsecond timestamps from epoch seconds, null where not valid."""
    mask = None if valid is None else ~valid
    return pa.array(np.asarray(seconds, dtype=np.int64) * 1_000_000, _TIMESTAMP, mask=mask)


def tag_lists(flags: np.ndarray, vocab: Sequence[str]) -> pa.Array:
    """list<string> per row from a (rows x len(vocab)) bool matrix; rows without a tag are null."""
    counts = flags.sum(axis=1)
    offsets = np.zeros(len(flags) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    _, column = np.nonzero(flags)
    values = strings(vocab, column)
    return pa.ListArray.from_arrays(pa.array(offsets), values, mask=pa.array(counts == 0))


class Rows:
    """Columns of child rows added in chunks (vectorised) and concatenated once; scalars broadcast."""

    def __init__(self, **dtypes: type) -> None:
        self._dtypes = dtypes
        self._chunks: dict[str, list[np.ndarray]] = {name: [] for name in self._dtypes}

    def add(self, **columns: np.ndarray | int | bool) -> None:
        """Append rows; every column must be given, arrays share one length."""
        n = next(len(v) for v in columns.values() if isinstance(v, np.ndarray))
        for name, dtype in self._dtypes.items():
            value = columns[name]
            if isinstance(value, np.ndarray):
                self._chunks[name].append(value.astype(dtype))  # a copy: callers reuse arrays
            else:
                self._chunks[name].append(np.full(n, value, dtype=dtype))

    def pop(self, order_by: str | None = None) -> dict[str, np.ndarray]:
        """All rows added, one array per column, in the order added (or stably sorted by one
        column); the chunks are released."""
        out = {}
        for name, dtype in self._dtypes.items():
            chunks = self._chunks[name]
            out[name] = np.concatenate(chunks) if chunks else np.zeros(0, dtype)
            chunks.clear()
        if order_by is not None:
            order = np.argsort(out[order_by], kind="stable")
            out = {name: values[order] for name, values in out.items()}
        return out

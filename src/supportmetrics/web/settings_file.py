"""The settings the server answers with: `supportmetrics.toml` as it is now. A change saved from the
dashboard is used at once; one made by hand is read before the next request (a file that breaks a
rule is logged and the settings before it stay in use)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from supportmetrics.config import Config, ConfigError, load_config
from supportmetrics.web.data import DataSource

__all__ = ["SettingsFile"]

Stamp = tuple[int, int, int] | None


def _stamp(path: Path) -> Stamp:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class SettingsFile:
    """Keeps `state.config` and the data source's settings equal to the file's."""

    def __init__(self, path: Path, state: Any, data: DataSource) -> None:
        self.path = path
        self.state = state
        self.data = data
        self._seen = _stamp(path)
        self._lock = threading.Lock()

    def use(self, config: Config) -> None:
        """Answer with `config` (just written to the file) from now on."""
        with self._lock:
            self._seen = _stamp(self.path)
            self._apply(config)

    def refresh(self) -> None:
        """Read the file again if it changed since it was last read or written here."""
        stamp = _stamp(self.path)
        if stamp == self._seen:
            return
        with self._lock:
            if stamp == self._seen:
                return
            self._seen = stamp
            try:
                config = load_config(self.path)
            except ConfigError as exc:
                logging.getLogger(__name__).warning(
                    "%s changed but is not used, the settings before it are: %s", self.path, exc
                )
                return
            self._apply(config)

    def _apply(self, config: Config) -> None:
        self.state.config = config
        self.data.reconfigure(config)

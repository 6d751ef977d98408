"""Alerts: a metric missing its target, volume spikes and drops, SLA targets about to be missed.

Each alert fires once per episode (kept in the workspace's application database) and resolves when
its condition ends; `supportmetrics alerts check` evaluates them all.
"""

__all__: list[str] = []
"""Nothing re-exported: `config` imports `alerts.settings`, so this package imports nothing heavy.
The modules: `settings`, `spikes`, `evaluate`, `episodes`, `check`, `notify`."""

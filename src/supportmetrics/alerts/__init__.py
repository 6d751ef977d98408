"""Alerts: a metric missing its target, volume spikes and drops, SLA targets about to be missed.

Each alert fires once per episode (kept in the workspace's application database) and resolves when
its condition ends; `supportmetrics alerts check` evaluates them all.
"""

"""The target and SLA policy forms: form fields to settings values and settings back to fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from supportmetrics.config import SLA_TARGETS, SlaPolicy, TargetSettings
from supportmetrics.config_edit import SLA_LISTS, EditError
from supportmetrics.metrics import CATALOGUE

__all__ = [
    "duration_text",
    "policy_fields",
    "policy_form",
    "target_fields",
    "target_form",
    "target_metrics",
]


def target_metrics(taken: Mapping[str, object]) -> list[tuple[str, str]]:
    """(id, title) of the metrics a new target can be set on: a direction, no target yet."""
    return sorted(
        ((m.id, m.title) for m in CATALOGUE.values() if m.better and m.id not in taken),
        key=lambda pair: pair[1].lower(),
    )


def _pairs(text: str, field: str, example: str) -> dict[str, list[str]]:
    """`name=a,b; other=c` as {name: [a, b], other: [c]} (an EditError naming `field` if not)."""
    out: dict[str, list[str]] = {}
    for clause in filter(None, (c.strip() for c in text.split(";"))):
        name, sep, values = clause.partition("=")
        items = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not name.strip() or not items:
            raise EditError({field: f"write name=value pairs separated by ';', e.g. {example}"})
        out[name.strip()] = items
    return out


def target_fields(form: Mapping[str, str]) -> dict[str, Any]:
    """The settings of a target from its form's fields (text as typed, empty left out)."""
    variants = _pairs(form.get("variants", ""), "variants", "definition=no_repeat_contact")
    return {
        "value": form.get("value", "").strip(),
        "owner": form.get("owner", "").strip(),
        "next_action": form.get("next_action", "").strip(),
        "stat": form.get("stat", "").strip(),
        "clock": form.get("clock", "").strip() if form.get("clock") != "calendar" else "",
        "where": _pairs(form.get("where", ""), "where", "channel=email,chat; team=billing"),
        "variants": {k: ",".join(v) for k, v in variants.items()},
    }


def _number_text(value: float | str) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def target_form(settings: TargetSettings) -> dict[str, str]:
    """A target's settings as its edit form's field values."""
    return {
        "value": _number_text(settings.value),
        "owner": settings.owner,
        "next_action": settings.next_action,
        "stat": settings.stat or "",
        "clock": settings.clock,
        "where": "; ".join(f"{k}={','.join(v)}" for k, v in settings.where.items()),
        "variants": "; ".join(f"{k}={v}" for k, v in settings.variants.items()),
    }


def duration_text(seconds: int | None) -> str:
    """Seconds as the settings' duration text: 5400 -> "1h30m", 172800 -> "2d"."""
    if not seconds:
        return ""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _duration(text: str) -> int | str:
    text = text.strip()
    return int(text) if text.isdigit() else text


def policy_fields(form: Mapping[str, str]) -> dict[str, Any]:
    """The settings of an SLA policy from its form's fields (lists comma-separated)."""
    fields: dict[str, Any] = {"name": form.get("name", "").strip()}
    for key in SLA_LISTS:
        fields[key] = [v.strip() for v in form.get(key, "").split(",") if v.strip()]
    fields["clock"] = "business" if form.get("clock") == "business" else ""
    for key in SLA_TARGETS:
        fields[key] = _duration(form.get(key, ""))
    if not fields["name"]:
        raise EditError({"name": "give the policy a name, e.g. urgent"})
    return fields


def policy_form(policy: SlaPolicy) -> dict[str, str]:
    """An SLA policy's settings as its edit form's field values."""
    form = {"name": policy.name, "clock": policy.clock}
    form |= {key: ", ".join(getattr(policy, key)) for key in SLA_LISTS}
    form |= {key: duration_text(getattr(policy, key)) for key in SLA_TARGETS}
    return form

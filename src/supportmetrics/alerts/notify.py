"""Alert messages (email text and HTML, webhook payload) and sending them through delivery."""

from __future__ import annotations

from html import escape
from typing import Any

from supportmetrics.alerts.check import Send
from supportmetrics.alerts.episodes import Episode
from supportmetrics.alerts.settings import AlertSettings
from supportmetrics.delivery import DeliveryConfig, DeliveryLog, Message, deliver

__all__ = ["alert_message", "sender"]

_KINDS = {"target": "target breach", "spike": "spike/drop", "sla_risk": "SLA at risk"}


def alert_message(name: str, alert: AlertSettings, event: str, episodes: list[Episode]) -> Message:
    """One message about `episodes` of alert `name` that were `opened` or `resolved`."""
    kind = _KINDS[alert.kind]
    verb = "firing" if event == "opened" else "back to normal"
    count = f"{len(episodes)} segment{'s' if len(episodes) != 1 else ''}"
    subject = f"[supportmetrics] {name} ({kind}) {verb}: {count}"
    lines = [f"Alert {name} ({kind}) is {verb} for {count}:", ""]
    items = []
    for episode in episodes:
        lines.append(f"- {episode.summary}")
        if episode.link:
            lines.append(f"  dashboard: {episode.link}")
        link = f' (<a href="{escape(episode.link)}">dashboard</a>)' if episode.link else ""
        items.append(f"<li>{escape(episode.summary)}{link}</li>")
    if event == "resolved":
        lines.append("")
        lines.append("Each episode ended when its condition no longer held.")
    html = (
        f"<html><body><p>Alert <b>{escape(name)}</b> ({escape(kind)}) is {verb} for "
        f"{count}:</p><ul>{''.join(items)}</ul></body></html>"
    )
    payload: dict[str, Any] = {
        "type": "alert",
        "alert": name,
        "kind": alert.kind,
        "event": event,
        "episodes": [e.to_dict() for e in episodes],
    }
    key = f"alert:{name}:{event}:{','.join(str(e.id) for e in episodes)}"
    return Message(key=key, subject=subject, text="\n".join(lines), html=html, payload=payload)


def sender(settings: DeliveryConfig, log: DeliveryLog) -> Send:
    """A `Send` delivering through `settings` (SMTP, webhooks, retries) and recording in `log`.

    A message counts as sent when at least one recipient got it (the others' failures are in the
    delivery log); when none did, it raises, and the next run sends it again.
    """

    def send(name: str, alert: AlertSettings, event: str, episodes: list[Episode]) -> None:
        records = deliver(
            alert_message(name, alert, event, episodes), alert.recipients, settings, log
        )
        if records and not any(r.status == "sent" for r in records):
            errors = sorted({f"{r.recipient}: {r.error}" for r in records if r.error})
            raise RuntimeError("; ".join(errors))

    return send

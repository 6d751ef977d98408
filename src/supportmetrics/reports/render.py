"""Rendering an issue: the HTML email (charts as inline PNGs), a self-contained HTML page, the PDF
(WeasyPrint) and the CSV of every table; written to and read back from the issue's folder."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportmetrics.delivery import Attachment, InlineImage, Message
from supportmetrics.display import human
from supportmetrics.reports.content import MetricLine, ReportContent

__all__ = ["Rendered", "chart_spec", "render"]

_TEMPLATES = Path(__file__).parent / "templates"
_MANIFEST = "issue.json"


@dataclass(frozen=True)
class Rendered:
    """An issue's files (name -> bytes) and what its email and webhooks say."""

    report: str
    period: str
    subject: str
    text: str
    files: dict[str, bytes]
    payload: dict[str, Any]

    @property
    def email_html(self) -> str:
        return self.files["email.html"].decode()

    @property
    def body_html(self) -> str:
        """The issue as an HTML fragment with its charts inline (the dashboard shows it)."""
        return self.files["body.html"].decode()

    def attachments(self) -> tuple[Attachment, ...]:
        """The PDF and CSV files, in that order."""
        kinds = {".pdf": "application/pdf", ".csv": "text/csv"}
        return tuple(
            Attachment(name, data, kinds[Path(name).suffix])
            for name, data in sorted(self.files.items(), key=lambda f: (f[0][-4:] != ".pdf", f[0]))
            if Path(name).suffix in kinds
        )

    def message(self) -> Message:
        """The message delivered to the report's recipients."""
        images = tuple(
            InlineImage(name.removesuffix(".png"), data)
            for name, data in sorted(self.files.items())
            if name.endswith(".png")
        )
        return Message(
            key=f"report:{self.report}:{self.period}",
            subject=self.subject,
            text=self.text,
            html=self.email_html,
            images=images,
            attachments=self.attachments(),
            payload=self.payload,
        )

    def write(self, folder: Path) -> None:
        """Write the files and their manifest to `folder`, replacing it whole (through a temporary
        folder renamed into place, so a crash leaves the old folder or the new one)."""
        temporary = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir(parents=True)
        for name, data in self.files.items():
            (temporary / name).write_bytes(data)
        manifest = {
            "report": self.report,
            "period": self.period,
            "subject": self.subject,
            "text": self.text,
            "payload": self.payload,
        }
        (temporary / _MANIFEST).write_text(json.dumps(manifest, default=str))
        for path in temporary.iterdir():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        shutil.rmtree(folder, ignore_errors=True)
        temporary.rename(folder)

    @classmethod
    def read(cls, folder: Path) -> Rendered:
        """The issue written to `folder`."""
        manifest = json.loads((folder / _MANIFEST).read_text())
        files = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != _MANIFEST}
        return cls(files=files, **manifest)


def chart_spec(line: MetricLine, unit_name: str) -> dict[str, Any]:
    """A Vega-Lite line of the metric by period, with its target as a dashed rule."""
    scale = 1 / 3600 if line.unit == "seconds" else (100 if line.unit == "share" else 1)
    title = {"seconds": "hours", "share": "%"}.get(line.unit, line.unit)
    values = [{"period": p, "y": None if v is None else v * scale} for p, v in line.trend]
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "line", "point": True, "color": "#2563eb"},
            "encoding": {
                "x": {"field": "period", "type": "temporal", "title": unit_name},
                "y": {"field": "y", "type": "quantitative", "title": title},
            },
        }
    ]
    if line.target is not None:
        layers.append(
            {
                "data": {"values": [{"y": line.target * scale}]},
                "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#b45309"},
                "encoding": {"y": {"field": "y", "type": "quantitative"}},
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 520,
        "height": 160,
        "data": {"values": values},
        "layer": layers,
        "config": {"view": {"stroke": None}, "font": "DejaVu Sans"},
    }


def _csv(rows: list[dict[str, Any]]) -> bytes:
    """A table as CSV; text that a spreadsheet would read as a formula is quoted (export.py's
    rule), each value keeps its own type (a count stays 24 where another row holds 0.25)."""
    from supportmetrics.export import FORMULA_START

    def safe(value: Any) -> Any:
        return "'" + value if isinstance(value, str) and re.match(FORMULA_START, value) else value

    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({k: safe(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue().encode()


def _text(c: ReportContent, period_text: str) -> str:
    lines = [f"{c.title}: {period_text}", ""]
    for line in c.lines:
        if line.error:
            lines.append(f"{line.title}: not available ({line.error})")
            continue
        parts = [f"{line.title}: {line.display or 'no data'}"]
        if line.low_sample:
            parts.append(f"(fewer than {c.min_sample} observations)")
        if line.change_display:
            parts.append(f"[{line.change_display} vs previous]")
        if line.met is not None:
            parts.append(f"target {line.target_display}: {'met' if line.met else 'MISSED'}")
        lines.append(" ".join(parts))
    for line in c.missed:
        lines.append(
            f"\nMissed: {line.title}. Owner: {line.owner}. Next action: {line.next_action}"
        )
    return "\n".join(lines) + "\n"


def _period_text(c: ReportContent) -> tuple[str, str]:
    def one(p: Any) -> str:
        if p.cadence == "daily":
            return p.start.strftime("%a %d %b %Y")
        if p.cadence == "weekly":
            return f"week {p.label} ({p.start:%d %b} - {p.end:%d %b %Y})"
        return p.start.strftime("%B %Y")

    return one(c.period), one(c.previous)


def render(c: ReportContent, formats: tuple[str, ...]) -> Rendered:
    """Every file of the issue: email.html, report.html, body.html, the chart PNGs, the PDF and
    CSVs as `formats` ask."""
    import jinja2
    import vl_convert

    unit_name = c.period.unit
    pngs = {
        line.metric: vl_convert.vegalite_to_png(chart_spec(line, unit_name), scale=2)
        for line in c.lines
        if not line.error and any(v is not None for _, v in line.trend)
    }
    period_text, previous_text = _period_text(c)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    common = {
        "c": c,
        "human": human,
        "charts": pngs,
        "unit_name": unit_name,
        "period_text": period_text,
        "previous_text": previous_text,
    }

    def inline(metric: str) -> str:
        return "data:image/png;base64," + base64.b64encode(pngs[metric]).decode()

    document = env.get_template("report.html")
    files: dict[str, bytes] = {
        "email.html": document.render(common, image=lambda m: f"cid:chart-{m}").encode(),
        "report.html": document.render(common, image=inline).encode(),
        "body.html": env.get_template("report_body.html").render(common, image=inline).encode(),
    }
    files |= {f"chart-{metric}.png": png for metric, png in pngs.items()}
    stem = f"{c.name}-{c.period.label}"
    if "pdf" in formats:
        import weasyprint

        files[f"{stem}.pdf"] = weasyprint.HTML(string=files["report.html"].decode()).write_pdf()
    if "csv" in formats:
        files |= {f"{stem}-{name}.csv": _csv(rows) for name, rows in c.tables().items()}
    return Rendered(
        report=c.name,
        period=c.period.label,
        subject=f"{c.title}: {period_text}",
        text=_text(c, period_text),
        files=files,
        payload=c.payload(),
    )

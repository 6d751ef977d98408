"""The user docs cover what the code offers: every metric in docs/metrics.md, every importer in the README."""

from __future__ import annotations

import re
from pathlib import Path

from supportmetrics.metrics import CATALOGUE
from supportmetrics.sources import SOURCES

ROOT = Path(__file__).resolve().parents[1]


def _section(text: str, heading: str) -> str:
    """The body of the `## heading` section of a Markdown document (up to the next `## `)."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _documented_metric_ids() -> set[str]:
    """Ids in the first cell of the catalogue tables ("| csat |", "| mrr / mrr_growth |",
    "| self_service_rate (calls) |") and the named shortcuts of the Social section."""
    text = (ROOT / "docs" / "metrics.md").read_text()
    first_cells = re.findall(r"^\| ([a-z_ /()]+?) \|", text, re.MULTILINE)
    ids = {part.split("(")[0].strip() for cell in first_cells for part in cell.split("/")}
    ids |= set(re.findall(r"\b[a-z]+_[a-z_]+\b", _section(text, "Social")))
    return ids - {"id"}


def test_docs_metrics_lists_exactly_the_catalogue() -> None:
    documented = _documented_metric_ids()
    missing = sorted(set(CATALOGUE) - documented)
    assert not missing, f"metrics missing from docs/metrics.md: {missing}"
    assert documented <= set(CATALOGUE), sorted(documented - set(CATALOGUE))


def test_every_importer_has_a_readme_section() -> None:
    importing = _section((ROOT / "README.md").read_text(), "Importing from your tools")
    headings = {
        match.group(1).lower() for match in re.finditer(r"^### (\w+)", importing, re.MULTILINE)
    }
    missing = [name for name in SOURCES if name not in headings]
    assert not missing, f"importers without a '### Name' section in the README: {missing}"

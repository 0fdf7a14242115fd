"""The review's sections in their order, and the document built from them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from . import forecast_sections, pipeline_sections
from .base import Card, ReviewInputs, Section, merge, section

#: the version of the document's shape; a frozen document keeps the one it was built with
DOCUMENT_VERSION = 1
#: headlines where a rise is bad news (shown red, not green)
LOWER_IS_BETTER = frozenset({"lost_count", "lost_value", "worst_shortfall", "revenue_at_risk"})


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    build: Callable[[ReviewInputs], Section]
    template: str = "dashboards/review/_section.html"


def _headlines(inputs: ReviewInputs) -> Section:
    cards = pipeline_sections.headline_cards(inputs) + forecast_sections.headline_cards(inputs)
    previous = _previous_cards(inputs.previous)
    for card in cards:
        before = previous.get(card["key"])
        card["previous"] = before["value"] if before is not None else None
        card["better"] = "down" if card["key"] in LOWER_IS_BETTER else "up"
    part = forecast_sections.headline_figures(inputs)
    return merge(
        section(
            "This week's figures beside last week's frozen ones.",
            extra={"cards": cards},
        ),
        part,
    )


def _previous_cards(previous: dict[str, Any] | None) -> dict[str, Card]:
    if not previous:
        return {}
    cards = previous.get("sections", {}).get("headlines", {}).get("extra", {}).get("cards", [])
    return {card["key"]: card for card in cards}


def _changes(inputs: ReviewInputs) -> Section:
    return merge(pipeline_sections.waterfall(inputs), forecast_sections.forecast_change(inputs))


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("headlines", "Headlines against last week", _headlines, "dashboards/review/_headlines.html"),
    SectionSpec("outlook", "Sales against operations, the next 13 weeks", forecast_sections.outlook),
    SectionSpec("changes", "What changed since last week", _changes),
    SectionSpec("sources", "Where the pipeline comes from", pipeline_sections.sources),
    SectionSpec("realism", "How realistic the forecasts are", forecast_sections.realism),
    SectionSpec("money", "The money question", forecast_sections.money, "dashboards/review/_money.html"),
    SectionSpec("hiring", "The hiring plan", forecast_sections.hiring),
    SectionSpec("nps", "What customers say (NPS)", pipeline_sections.nps),
)
SECTION_KEYS = tuple(spec.key for spec in SECTIONS)


def build_document(inputs: ReviewInputs) -> dict[str, Any]:
    """Every section of the review of `inputs.week`, as JSON (what a snapshot freezes)."""
    run = inputs.run
    inputs = inputs.sharing_reads()
    return {
        "version": DOCUMENT_VERSION,
        "week": inputs.week.isoformat(),
        "built_at": timezone.now().isoformat(),
        "run": (
            {
                "id": run.pk,
                "as_of": run.as_of.isoformat(),
                "finished": run.finished.isoformat() if run.finished else None,
            }
            if run is not None
            else None
        ),
        "sections": {spec.key: spec.build(inputs) for spec in SECTIONS},
    }


def find_table(document: dict[str, Any], section_key: str, table_key: str) -> dict[str, Any] | None:
    """A table of a document, or None when the document has no such table."""
    return document.get("sections", {}).get(section_key, {}).get("tables", {}).get(table_key)

"""Review sections drawn from the pipeline: headline counts, the waterfall, sources, NPS.

(Being written: the builders below are filled in by the pipeline-sections work.)
"""

from __future__ import annotations

from .base import Card, ReviewInputs, Section, section


def headline_cards(inputs: ReviewInputs) -> list[Card]:
    return []


def waterfall(inputs: ReviewInputs) -> Section:
    return section("")


def sources(inputs: ReviewInputs) -> Section:
    return section("")


def nps(inputs: ReviewInputs) -> Section:
    return section("")

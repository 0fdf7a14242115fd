"""Review sections drawn from the forecast run: outlook, forecast change, realism, money, hiring.

(Being written: the builders below are filled in by the forecast-sections work.)
"""

from __future__ import annotations

from .base import Card, ReviewInputs, Section, section


def headline_cards(inputs: ReviewInputs) -> list[Card]:
    return []


def headline_figures(inputs: ReviewInputs) -> Section:
    return section("")


def outlook(inputs: ReviewInputs) -> Section:
    return section("")


def forecast_change(inputs: ReviewInputs) -> Section:
    return section("")


def realism(inputs: ReviewInputs) -> Section:
    return section("")


def money(inputs: ReviewInputs) -> Section:
    return section("")


def hiring(inputs: ReviewInputs) -> Section:
    return section("")

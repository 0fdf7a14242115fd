"""The money question: the proposals on the table and the run's named scenarios, what each
funds and what it brings against the plan as approved. `extra["proposals"]` feeds the decision
forms of templates/dashboards/review/_money.html."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.urls import reverse

from forecasting.choices import ScenarioKind
from forecasting.selectors.review import ReviewProposal, ReviewScenario, review_proposals, review_scenarios
from operations.choices import ProposalStatus

from ..base import ReviewInputs, Section, column, section, table
from ..base import money as cents
from .style import (
    COMPONENT_COLOURS,
    COST_COLOUR,
    NO_FORECAST,
    Figure,
    as_float,
    base_layout,
    hover_money,
    plural,
    set_money_axis,
    short,
    signed,
)

#: the named scenarios of a run, in the order the money question reads them
SCENARIO_ORDER = (
    ScenarioKind.BASELINE,
    ScenarioKind.SALES_SIDE,
    ScenarioKind.OPERATIONS_SIDE,
    ScenarioKind.BALANCED,
    ScenarioKind.BEST_WITHIN_BUDGET,
)
ON_THE_TABLE = (ProposalStatus.PROPOSED, ProposalStatus.DEFERRED)
CONTRIBUTION_COLOUR = COMPONENT_COLOURS["run_rate"]


def money(inputs: ReviewInputs) -> Section:
    """The proposals on the table and the run's named scenarios: what each funds, what it
    brings. `extra["proposals"]` feeds the decision forms of `_money.html`."""
    run = inputs.run
    if run is None:
        return section(NO_FORECAST, extra={"proposals": [], "waiting": 0})
    scenarios = review_scenarios(run=run, kinds=SCENARIO_ORDER)
    in_scenarios: dict[int, list[str]] = defaultdict(list)
    for scenario in scenarios:
        for pk in scenario.proposal_ids:
            in_scenarios[pk].append(scenario.name)
    proposals = review_proposals(statuses=ON_THE_TABLE, ids=list(in_scenarios))
    figures = {"scenarios": _scenario_figure(scenarios)}
    tables = {"scenarios": _scenario_table(scenarios), "proposals": _proposal_table(proposals, in_scenarios)}
    extra: dict[str, Any] = {
        "proposals": [
            {
                "id": p.id,
                "title": p.title,
                "side": p.side,
                "status": p.status,
                "decidable": p.status == ProposalStatus.PROPOSED,
                "one_off_cost": cents(p.one_off_cost),
                "monthly_cost": cents(p.monthly_cost),
            }
            for p in proposals
        ]
    }
    extra["waiting"] = sum(1 for p in extra["proposals"] if p["decidable"])
    return section(_caption(scenarios, proposals), figures=figures, tables=tables, extra=extra)


def _caption(scenarios: list[ReviewScenario], proposals: list[ReviewProposal]) -> str:
    waiting = sum(1 for p in proposals if p.status == ProposalStatus.PROPOSED)
    words = []
    by_kind = {s.kind: s for s in scenarios}
    best = by_kind.get(ScenarioKind.BEST_WITHIN_BUDGET)
    if best is not None:
        funded = ", ".join(best.proposal_titles) or "nothing"
        span = f"Over the next {best.weeks} weeks, w" if best.weeks else "W"
        words.append(
            f"{span}ithin the budget the best is to fund {funded} (cost {short(best.cost)}): contribution "
            f"{short(best.contribution)}, {signed(as_float(best.contribution_vs_baseline))} on the plan as approved."
        )
    sides = [
        f"{by_kind[kind].name} alone {signed(as_float(by_kind[kind].contribution_vs_baseline))} "
        f"for {short(by_kind[kind].cost)}"
        for kind in (ScenarioKind.SALES_SIDE, ScenarioKind.OPERATIONS_SIDE)
        if kind in by_kind
    ]
    if sides:
        words.append("; ".join(sides) + ".")
    if not scenarios:
        words.append("The run holds no scenario results.")
    words.append(f"{waiting} proposal{'s' if waiting != 1 else ''} wait{'s' if waiting == 1 else ''} for a decision.")
    return " ".join(words)


def _scenario_figure(scenarios: list[ReviewScenario]) -> Figure | None:
    """What each scenario changes against the plan as approved: its contribution (after its
    cost) and its cost, side by side (both tens of thousands where the revenue is millions).
    Fulfilled revenue is in the hover and the table."""
    baseline = next((s for s in scenarios if s.kind == ScenarioKind.BASELINE), None)
    shown = [s for s in scenarios if s.kind != ScenarioKind.BASELINE]
    if not shown:
        return None
    names = [s.name for s in shown]
    base_revenue = as_float(baseline.fulfilled_revenue) if baseline is not None else None
    customdata = [
        [
            round(as_float(s.fulfilled_revenue), 2),
            "" if base_revenue is None else f" ({signed(as_float(s.fulfilled_revenue) - base_revenue)} on the plan)",
            plural(len(s.proposal_ids), "proposal"),
        ]
        for s in shown
    ]
    gained = [round(as_float(s.contribution_vs_baseline), 2) for s in shown]
    cost = [round(as_float(s.cost), 2) for s in shown]
    data = [
        {
            "type": "bar",
            "name": "Contribution against the plan (after cost)",
            "x": names,
            "y": gained,
            "text": [signed(v) for v in gained],
            "marker": {"color": CONTRIBUTION_COLOUR},
            "hovertemplate": _hover("Contribution against the plan", "%{text}"),
        },
        {
            "type": "bar",
            "name": "Cost",
            "x": names,
            "y": cost,
            "text": [short(v) for v in cost],
            "marker": {"color": COST_COLOUR},
            "hovertemplate": _hover("Cost", "%{text}"),
        },
    ]
    for trace in data:
        trace.update({"customdata": customdata, "textposition": "outside", "cliponaxis": False})
    layout = base_layout(barmode="group")
    layout["margin"].update({"l": 80, "t": 28})
    weeks = max((s.weeks for s in shown), default=0)
    set_money_axis(layout, f"Next {weeks} weeks" if weeks else "Forecast horizon")
    # no € prefix on the ticks: Plotly writes "€−50k"; the currency is in the axis title
    layout["yaxis"].update({"tickprefix": "", "rangemode": "normal", "zeroline": True, "zerolinecolor": "#475569"})
    return {"data": data, "layout": layout}


def _hover(measure: str, value: str) -> str:
    return (
        "<b>%{x}</b> funds %{customdata[2]}<br>"
        + f"{measure}: {value}<br>Fulfilled revenue "
        + hover_money("customdata[0]")
        + "%{customdata[1]}<extra></extra>"
    )


def _scenario_table(scenarios: list[ReviewScenario]) -> dict[str, Any]:
    """A row a scenario; which proposals it funds is said by the proposals' table."""
    columns = [
        column("scenario", "Scenario"),
        column("funds", "Funds", "int"),
        column("cost", "Cost", "money"),
        column("fulfilled_revenue", "Revenue", "money"),
        column("contribution", "Contribution", "money"),
        column("contribution_vs_baseline", "Vs the plan", "money"),
    ]
    rows = [
        {
            "scenario": s.name + (" (over budget)" if s.within_budget is False else ""),
            "kind": s.kind,
            "funds": len(s.proposal_ids),
            "cost": cents(s.cost),
            "fulfilled_revenue": cents(s.fulfilled_revenue),
            "contribution": cents(s.contribution),
            "contribution_vs_baseline": cents(s.contribution_vs_baseline),
            "within_budget": s.within_budget,
        }
        for s in scenarios
    ]
    return table("Scenarios of this run (funds: how many proposals; revenue: fulfilled)", columns, rows)


def _proposal_table(proposals: list[ReviewProposal], in_scenarios: dict[int, list[str]]) -> dict[str, Any]:
    columns = [
        column("title", "Proposal"),
        column("side", "Side"),
        column("one_off_cost", "One-off", "money"),
        column("monthly_cost", "Per month", "money"),
        column("status", "Status"),
        column("scenarios", "In scenarios"),
    ]
    rows = [
        {
            "title": p.title,
            "side": p.side_label,
            "one_off_cost": cents(p.one_off_cost),
            "monthly_cost": cents(p.monthly_cost),
            "status": p.status_label,
            "scenarios": ", ".join(in_scenarios.get(p.id, [])) or "—",
            "_url": reverse("operations:proposal-detail", args=[p.id]),
        }
        for p in proposals
    ]
    return table("Proposals on the table", columns, rows)

"""Pure generation of the demo company's history as plain records; no database here.

`generate_demo(today=...)` returns a `DemoData` whose records refer to each other by
natural keys (usernames, channel and stage names, SKUs, customer names). The same `today`,
`seed` and time zone always give the same records: every random draw comes from one
seeded `random.Random`, in a fixed order.

The story the data tells:
- demand grows about 32% a year with a summer peak; online grows faster, so the retail
  share of volume falls from about 60% to 40% over the last year;
- retail volume is the deliveries of won listings (units per week over their delivery
  weeks), so the contracted forecast and the retail actuals agree: each listing won is
  sized against the retail volume still missing in its product at its first delivery;
- about 400 deals move through the stages with real dates, slipping close dates and
  probability changes; about a quarter to a third are won. Carla states high
  probabilities and early close dates, Ben low probabilities; Ben's monthly commits are
  70-80% of what he then wins, Carla's 125-140%;
- NPS is good, except during last summer's peak, when deliveries were late.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pipeline.choices import Direction, ForecastCategory, LastTouch, Trigger

from . import catalogue as cat
from . import text
from .demand import WEEK, Demand, add_months, first_monday, monday_of, month_end, season, workday
from .records import (
    CallRecord,
    DemoData,
    HistoryEntry,
    NpsRecord,
    OpportunityRecord,
    OpportunityState,
    SaleRecord,
)

SEED = 20240601
SALES_WEEKS = 120
CRM_LEAD_WEEKS = 40
TARGET_OPPORTUNITIES = 380
NEW_DEALS_PER_WEEK = 1.45
RETAIL_SEASON_DAMPING = 0.7
RENEWAL_NOTICE_WEEKS = 10
RETAIL_PUSH = 3.0
GAP_LOOKAHEAD_WEEKS = 20

CENT = Decimal("0.01")


# --- deals ------------------------------------------------------------------------------


@dataclass
class _Event:
    day: dt.date
    kind: str  # stage, probability, slip, won, lost
    stage: str = ""
    probability: int = 0
    close_date: dt.date | None = None
    reason: str = ""
    revise: bool = False


@dataclass
class _Deal:
    """A deal as planned when it enters the pipeline; the size of a won retail listing is
    only settled when it is won."""

    number: int
    owner: str
    customer: cat.CustomerSpec
    channel: str
    product: cat.ProductSpec
    source: str
    direction: str
    last_touch: str
    trigger: str
    title: str
    created_on: dt.date
    first_close: dt.date
    first_probability: int
    delivery_weeks: int
    lead_weeks: int
    discount: float
    initial_units: float
    revision: float
    events: list[_Event] = field(default_factory=list)
    outcome: str | None = None
    closed_on: dt.date | None = None
    first_delivery_week: dt.date | None = None
    final_units: float | None = None
    renewal_of: _Deal | None = None
    renewal_planned: bool = False

    @property
    def external_id(self) -> str:
        return f"demo-opp-{self.number:04d}"

    @property
    def units(self) -> float:
        return self.final_units if self.final_units is not None else self.initial_units * self.revision

    @property
    def delivery_end(self) -> dt.date | None:
        """The Monday after the last delivery week (exclusive)."""
        if self.first_delivery_week is None:
            return None
        return self.first_delivery_week + self.delivery_weeks * WEEK

    def delivers_in(self, week: dt.date) -> bool:
        end = self.delivery_end
        return self.first_delivery_week is not None and end is not None and self.first_delivery_week <= week < end

    def amount(self, units: float) -> Decimal:
        value = units * self.delivery_weeks * float(self.product.price) * (1 - self.discount)
        return Decimal(f"{value:.2f}")


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _round5(value: float, low: int = 5, high: int = 95) -> int:
    return int(min(high, max(low, 5 * round(value / 5))))


def _category(probability: int) -> str:
    if probability >= 70:
        return ForecastCategory.COMMIT
    if probability >= 40:
        return ForecastCategory.BEST_CASE
    return ForecastCategory.PIPELINE


class _Simulation:
    """Walks the weeks of the CRM: new deals enter, planned wins are sized, listings renew."""

    def __init__(self, rng: random.Random, today: dt.date, demand: Demand) -> None:
        self.rng = rng
        self.today = today
        self.demand = demand
        self.crm_start = demand.first_week - CRM_LEAD_WEEKS * WEEK
        self.deals: list[_Deal] = []
        self.wins_by_week: dict[dt.date, list[_Deal]] = defaultdict(list)
        self.listings: list[_Deal] = []  # won retail deals, sized
        self.expected_by_week: dict[dt.date, float] = {}  # deals there should be by then

    # random helpers
    def _pick(self, weights: dict[str, float]) -> str:
        names = [name for name, weight in weights.items() if weight > 0]
        return self.rng.choices(names, [weights[name] for name in names])[0]

    def _poisson(self, mean: float) -> int:
        limit, product, count = math.exp(-mean), self.rng.random(), 0
        while product > limit:
            product *= self.rng.random()
            count += 1
        return count

    def _lognormal(self, sigma: float) -> float:
        return self.rng.lognormvariate(-sigma * sigma / 2, sigma)

    # who is there
    def rep_joined(self, rep: str) -> dt.date:
        weeks = cat.REPS[rep].joins_weeks_before_end
        return self.crm_start if weeks is None else self.demand.last_week - weeks * WEEK

    def active_reps(self, day: dt.date) -> dict[str, float]:
        return {rep: habits.weight for rep, habits in cat.REPS.items() if self.rep_joined(rep) <= day}

    def run(self) -> list[_Deal]:
        self._legacy_listings()
        weeks = []
        week = self.crm_start
        while week < self.today:
            weeks.append(week)
            week += WEEK
        rates = [self._new_deal_rate(week) for week in weeks]
        total, running = sum(rates), 0.0
        for week, rate in zip(weeks, rates, strict=True):
            self.expected_by_week[week] = TARGET_OPPORTUNITIES * running / total
            running += rate
        for week in weeks:
            for deal in sorted(self.wins_by_week.pop(week, []), key=lambda d: (d.closed_on, d.number)):
                self._size_win(deal)
            self._plan_renewals(week)
            self._plan_new_deals(week)
        return self.deals

    def _legacy_listings(self) -> None:
        """The retail listings that were there before the CRM: they deliver (and show in
        the sales) until they end, one by one, within the first year of the sales history;
        most come up for renewal as deals."""
        rng = self.rng
        start = self.crm_start
        for product in cat.PRODUCTS:
            if self.demand.launched(product) is not None:
                continue
            missing = self.demand.retail_target(self.demand.first_week, product.sku)
            for _ in range(200):
                if missing < 5:
                    break
                segment = self._pick({"supermarket": 4, "distributor": 3, "grocer": 3, "foodservice": 1})
                customer = rng.choice([c for c in cat.RETAIL_CUSTOMERS if c.segment == segment])
                if any(d.customer is customer and d.product is product for d in self.listings):
                    continue
                low, high = customer.units
                units = float(round(min(missing, rng.uniform(low, high))))
                weeks = rng.choice((52, 78))
                end = start + rng.randint(20, CRM_LEAD_WEEKS + 60) * WEEK
                source = self._pick(cat.RETAIL_SOURCE_WEIGHTS)
                outbound = rng.random() < cat.OUTBOUND_SHARE[source]
                legacy = _Deal(
                    number=0,
                    owner=self._pick(self.active_reps(start)),
                    customer=customer,
                    channel=cat.RETAIL,
                    product=product,
                    source=source,
                    direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
                    last_touch="",
                    trigger="",
                    title="",
                    created_on=end - (weeks + 8) * WEEK,
                    first_close=end - (weeks + 1) * WEEK,
                    first_probability=100,
                    delivery_weeks=weeks,
                    lead_weeks=1,
                    discount=rng.uniform(0.0, 0.06),
                    initial_units=units,
                    revision=1.0,
                    outcome="won",
                    first_delivery_week=end - weeks * WEEK,
                    final_units=units,
                )
                self.listings.append(legacy)
                missing -= units

    # arrivals
    def _trade_show_week(self, week: dt.date) -> bool:
        for month, day in cat.TRADE_SHOWS:
            show = dt.date(week.year, month, day)
            if 0 <= (week - show).days < 21:
                return True
        return False

    def _new_deal_rate(self, week: dt.date) -> float:
        progress = (week - self.crm_start).days / max(1, (self.today - self.crm_start).days)
        spring = 1 + 0.25 * math.cos(2 * math.pi * (week.timetuple().tm_yday - 75) / 365.25)
        reps = sum(self.active_reps(week).values()) / sum(h.weight for h in cat.REPS.values())
        shows = 1.5 if self._trade_show_week(week) else 1.0
        return NEW_DEALS_PER_WEEK * (0.75 + 0.5 * progress) * spring * reps * shows

    def _retail_gap(self, week: dt.date) -> float:
        """The share of the retail volume some months ahead that no listing covers yet
        (negative when listings cover more): the head of sales pushes for more retail
        prospecting when it is high, and for online when it is not."""
        ahead = week + GAP_LOOKAHEAD_WEEKS * WEEK
        target = sum(self.demand.retail_target(ahead, product.sku) for product in cat.PRODUCTS)
        covered = sum(listing.units for listing in self.listings if listing.delivers_in(ahead))
        return 1 - covered / target

    def _plan_new_deals(self, week: dt.date) -> None:
        # The team has only so many hours: behind the plan it prospects more, ahead of it less.
        effort = (self.expected_by_week[week] + 15) / (len(self.deals) + 15)
        rate = self._new_deal_rate(week) * min(2.0, max(0.5, effort))
        progress = (week - self.crm_start).days / max(1, (self.today - self.crm_start).days)
        gap = self._retail_gap(week)
        online_rate = rate * (0.2 + 0.3 * progress)
        retail_rate = rate * (0.8 - 0.2 * progress) * min(4.0, max(0.5, 1 + RETAIL_PUSH * gap))
        for online, mean in ((True, online_rate), (False, retail_rate)):
            for _ in range(self._poisson(mean)):
                created = workday(week + dt.timedelta(days=self.rng.randrange(5)))
                if created < self.today:
                    self._plan_new_deal(created, online=online, gap=gap)

    def _plan_new_deal(self, created: dt.date, *, online: bool, gap: float) -> None:
        rng = self.rng
        owner = self._pick(self.active_reps(created))
        progress = (created - self.crm_start).days / max(1, (self.today - self.crm_start).days)
        campaign = self.demand.is_campaign(monday_of(created))
        if online:
            weights = dict(cat.ONLINE_SOURCE_WEIGHTS)
            weights[cat.INSTAGRAM] *= (1 + progress) * (2.5 if campaign else 1.0)
        else:
            weights = dict(cat.RETAIL_SOURCE_WEIGHTS)
        if self._trade_show_week(monday_of(created)):
            weights[cat.TRADE_SHOW] = 60
        source = self._pick(weights)
        direction = Direction.OUTBOUND if rng.random() < cat.OUTBOUND_SHARE[source] else Direction.INBOUND
        picked: tuple[cat.CustomerSpec, cat.ProductSpec | None] | None
        if online:
            customer = rng.choice(cat.ONLINE_SEGMENTS[1:])
            picked = (customer, self._pick_product(created, customer))
        else:
            picked = self._pick_retail_customer_and_product(created, gap)
        if picked is not None and picked[1] is not None:
            self._add_deal(created, owner, picked[0], picked[1], source, direction)

    def _pick_retail_customer_and_product(
        self, created: dt.date, gap: float
    ) -> tuple[cat.CustomerSpec, cat.ProductSpec] | None:
        """A customer and a juice it does not list yet (None if none is found)."""
        weights = dict(cat.SEGMENT_WEIGHTS)
        for big in ("supermarket", "distributor"):
            weights[big] *= 1 + 3 * max(0.0, gap)  # volume is missing: go for the big accounts
        for _ in range(50):
            segment = self._pick(weights)
            customer = self.rng.choice([c for c in cat.RETAIL_CUSTOMERS if c.segment == segment])
            product = self._pick_product(created, customer)
            if product is not None:
                return customer, product
        return None

    def _busy(self, customer: cat.CustomerSpec, sku: str, day: dt.date) -> bool:
        """The customer already lists this product, or a deal for it is still open."""
        for deal in self.deals + self.listings:
            if deal.customer is not customer or deal.product.sku != sku:
                continue
            if deal.outcome is None or (deal.closed_on is not None and deal.closed_on >= day):
                return True
            end = deal.delivery_end
            if deal.outcome == "won" and end is not None and end > day + RENEWAL_NOTICE_WEEKS * WEEK:
                return True
        return False

    def _pick_product(self, created: dt.date, customer: cat.CustomerSpec) -> cat.ProductSpec | None:
        weights: dict[str, float] = {}
        for product in cat.PRODUCTS:
            launch = self.demand.launched(product)
            if launch is not None and created < launch - 8 * WEEK:
                continue
            if customer in cat.RETAIL_CUSTOMERS and self._busy(customer, product.sku, created):
                continue
            weight = product.mix
            if launch is not None and created < launch + 26 * WEEK:
                weight *= 3  # the launch is what every rep talks about
            weights[product.sku] = weight
        if not weights:
            return None
        sku = self._pick(weights)
        return next(p for p in cat.PRODUCTS if p.sku == sku)

    def _plan_renewals(self, week: dt.date) -> None:
        for listing in self.listings:
            end = listing.delivery_end
            if listing.renewal_planned or end is None or end - week != RENEWAL_NOTICE_WEEKS * WEEK:
                continue
            listing.renewal_planned = True
            if self.rng.random() < 0.8:
                created = workday(week + dt.timedelta(days=self.rng.randrange(5)))
                if created < self.today:
                    self._add_deal(
                        created,
                        listing.owner,
                        listing.customer,
                        listing.product,
                        listing.source,
                        listing.direction,
                        renewal_of=listing,
                    )

    # one deal
    def _add_deal(
        self,
        created: dt.date,
        owner: str,
        customer: cat.CustomerSpec,
        product: cat.ProductSpec,
        source: str,
        direction: str,
        renewal_of: _Deal | None = None,
    ) -> None:
        rng = self.rng
        habits = cat.REPS[owner]
        segment = customer.segment
        channel = cat.ONLINE if customer in cat.ONLINE_SEGMENTS else cat.RETAIL
        trigger = self._trigger(created, customer, product, source, channel, renewal_of)
        low, high = customer.units
        if renewal_of is not None:
            initial_units = renewal_of.units * rng.uniform(0.95, 1.15)
            delivery_weeks = renewal_of.delivery_weeks
        else:
            initial_units = low + (high - low) * rng.random() ** 1.3
            delivery_weeks = rng.choice(
                {
                    "supermarket": (39, 52, 52),
                    "grocer": (26, 39, 52),
                    "cafe": (26, 26, 39),
                    "distributor": (52, 52, 78),
                    "foodservice": (26, 39, 52),
                    "offices": (13, 26),
                    "gyms": (26,),
                    "events": (1,),
                }[segment]
            )
        discount = {
            "supermarket": rng.uniform(0.03, 0.07),
            "distributor": rng.uniform(0.06, 0.1),
            "grocer": rng.uniform(0.0, 0.04),
            "foodservice": rng.uniform(0.02, 0.05),
            "events": rng.uniform(0.0, 0.08),
        }.get(segment, 0.0)
        pace = cat.SEGMENT_PACE[segment]
        cycle = sum(cat.STAGE_DAYS.values()) * pace * habits.close_optimism * rng.uniform(0.8, 1.25)
        first_close = created + dt.timedelta(days=max(10, round(cycle)))
        if rng.random() < 0.35:
            first_close = month_end(first_close)
        deal = _Deal(
            number=len(self.deals) + 1,
            owner=owner,
            customer=customer,
            channel=channel,
            product=product,
            source=source,
            direction=direction,
            last_touch=self._last_touch(source, renewal_of),
            trigger=trigger,
            title=self._title(created, customer, product, trigger, renewal_of),
            created_on=created,
            first_close=first_close,
            first_probability=self._stated(owner, cat.QUALIFY),
            delivery_weeks=delivery_weeks,
            lead_weeks=1 if segment == "events" else rng.randint(1, 3),
            discount=discount,
            initial_units=initial_units,
            revision=rng.uniform(0.8, 1.1),
            renewal_of=renewal_of,
        )
        self._plan_path(deal, pace, habits)
        self.deals.append(deal)
        if deal.outcome == "won" and deal.closed_on is not None:
            self.wins_by_week[monday_of(deal.closed_on)].append(deal)

    def _stated(self, owner: str, stage: str) -> int:
        habits = cat.REPS[owner]
        logit = _logit(cat.DEFAULT_PROBABILITY[stage] / 100) + habits.stated_logit_shift
        logit += self.rng.gauss(0, habits.stated_noise)
        return _round5(100 / (1 + math.exp(-logit)))

    def _plan_path(self, deal: _Deal, pace: float, habits: cat.RepHabits) -> None:
        """Stage moves, probability changes, close-date slips and the outcome, with dates;
        everything on or after today is left out (the deal is still open)."""
        rng = self.rng
        advance = cat.ADVANCE_RENEWAL if deal.renewal_of is not None else cat.ADVANCE
        bonus = habits.win_shift + cat.SOURCE_BONUS.get(deal.source, 0.0)
        events: list[_Event] = []
        day, probability = deal.created_on, deal.first_probability
        for index, stage in enumerate(cat.OPEN_STAGES):
            days = max(3.0, cat.STAGE_DAYS[stage] * pace * self._lognormal(0.45))
            moves_on = rng.random() < min(0.98, max(0.05, advance[stage] + bonus))
            if moves_on:
                end = workday(day + dt.timedelta(days=round(days)))
            else:
                end = workday(day + dt.timedelta(days=max(2, round(days * rng.uniform(0.5, 1.6)))))
            if stage in (cat.PROPOSAL, cat.NEGOTIATE) and rng.random() < 0.3:
                # A hunch after a tasting or a call, right more often than not.
                hunch = 10 if (rng.random() < 0.7) == moves_on else -10
                tweak_day = workday(day + dt.timedelta(days=round((end - day).days * rng.uniform(0.3, 0.6))))
                new_probability = _round5(probability + hunch)
                if day < tweak_day < end and new_probability != probability:
                    events.append(_Event(tweak_day, "probability", probability=new_probability))
                    probability = new_probability
            day = end
            if not moves_on:
                events.append(_Event(day, "lost", reason=rng.choice(text.LOST_REASONS[stage])))
                break
            if index + 1 < len(cat.OPEN_STAGES):
                next_stage = cat.OPEN_STAGES[index + 1]
                probability = self._stated(deal.owner, next_stage)
                events.append(
                    _Event(day, "stage", stage=next_stage, probability=probability, revise=next_stage == cat.NEGOTIATE)
                )
            else:
                events.append(_Event(day, "won"))
        events = [event for event in events if event.day < self.today]
        deal.events = self._with_slips(deal, events, habits)
        last = deal.events[-1] if deal.events else None
        if last is not None and last.kind in ("won", "lost"):
            deal.outcome = "won" if last.kind == "won" else "lost"
            deal.closed_on = last.day
            if deal.outcome == "won":
                first = monday_of(last.day) + deal.lead_weeks * WEEK
                if deal.renewal_of is not None and deal.renewal_of.delivery_end is not None:
                    first = max(first, deal.renewal_of.delivery_end)
                deal.first_delivery_week = first

    def _with_slips(self, deal: _Deal, events: list[_Event], habits: cat.RepHabits) -> list[_Event]:
        """Insert the close-date slips: when a date passes the expected close, the rep
        pushes it out (by less when optimistic, so it slips again)."""
        rng = self.rng
        push = (10, 30) if habits.close_optimism < 0.7 else (14, 45)
        result: list[_Event] = []
        expected = deal.first_close

        def slip_until(day: dt.date, limit: dt.date) -> None:
            nonlocal expected
            while day > expected:
                slip_day = min(limit, workday(expected + dt.timedelta(days=rng.randint(1, 6))))
                if slip_day >= self.today:
                    return
                expected = max(slip_day, expected) + dt.timedelta(days=rng.randint(*push))
                if slip_day == limit and expected < day:  # one push past the day it happens
                    expected = day + dt.timedelta(days=rng.randint(*push))
                if rng.random() < 0.3:
                    expected = month_end(expected)
                result.append(_Event(slip_day, "slip", close_date=expected))

        for event in events:
            slip_until(event.day, event.day)
            result.append(event)
            if event.kind in ("won", "lost"):
                return result
        if rng.random() < 0.88:  # the rest are left with a close date in the past
            yesterday = self.today - dt.timedelta(days=1)
            last_workday = yesterday - dt.timedelta(days=max(0, yesterday.weekday() - 4))
            slip_until(last_workday, last_workday)
        return result

    def _trigger(
        self,
        created: dt.date,
        customer: cat.CustomerSpec,
        product: cat.ProductSpec,
        source: str,
        channel: str,
        renewal_of: _Deal | None,
    ) -> str:
        rng = self.rng
        if renewal_of is not None:
            return Trigger.RANGE_REVIEW
        launch = self.demand.launched(product)
        if launch is not None and created < launch + 26 * WEEK and rng.random() < 0.7:
            return Trigger.NEW_PRODUCT
        if channel == cat.ONLINE:
            if source == cat.INSTAGRAM and rng.random() < 0.7:
                return Trigger.AD_CAMPAIGN
            if created.month in (4, 5, 6, 7) and rng.random() < 0.4:
                return Trigger.SEASONAL_NEED
            weights = {Trigger.PROMOTION: 3, Trigger.RECOMMENDATION: 3, Trigger.AD_CAMPAIGN: 1, Trigger.OTHER: 2}
            return self._pick(weights)
        if (
            any(
                deal.customer is customer and deal.outcome == "won" and deal.delivers_in(monday_of(created))
                for deal in self.listings
            )
            and rng.random() < 0.6
        ):
            return Trigger.EXPANSION
        if source == cat.REFERRAL and rng.random() < 0.6:
            return Trigger.RECOMMENDATION
        if created.month in (3, 4, 5) and rng.random() < 0.4:
            return Trigger.SEASONAL_NEED
        if created.month in (1, 2, 8, 9) and rng.random() < 0.5:
            return Trigger.RANGE_REVIEW
        weights = {
            Trigger.COMPETITOR_ISSUE: 15,
            Trigger.RANGE_REVIEW: 20,
            Trigger.SEASONAL_NEED: 12,
            Trigger.RECOMMENDATION: 10,
            Trigger.PROMOTION: 5,
            Trigger.OTHER: 10,
        }
        return self._pick(weights)

    def _last_touch(self, source: str, renewal_of: _Deal | None) -> str:
        if renewal_of is not None:
            return self.rng.choice((LastTouch.EMAIL, LastTouch.PHONE, LastTouch.IN_STORE))
        return self.rng.choice(
            {
                cat.REFERRAL: (LastTouch.EMAIL, LastTouch.PHONE, LastTouch.EVENT, LastTouch.IN_STORE),
                cat.TRADE_SHOW: (LastTouch.TRADE_SHOW,),
                cat.WEB_SHOP: (LastTouch.WEB_SHOP, LastTouch.WEB_SHOP, LastTouch.WEBSITE),
                cat.INSTAGRAM: (LastTouch.INSTAGRAM, LastTouch.INSTAGRAM, LastTouch.TIKTOK),
                cat.OUTBOUND: (LastTouch.EMAIL, LastTouch.PHONE, LastTouch.PHONE),
                cat.DISTRIBUTOR_INTRO: (LastTouch.EMAIL, LastTouch.EVENT, LastTouch.PHONE),
                cat.PRESS: (LastTouch.PRESS, LastTouch.WEBSITE),
            }[source]
        )

    def _title(
        self,
        created: dt.date,
        customer: cat.CustomerSpec,
        product: cat.ProductSpec,
        trigger: str,
        renewal_of: _Deal | None,
    ) -> str:
        name = product.short
        if customer in cat.ONLINE_SEGMENTS:
            base = f"{self.rng.choice(text.ONLINE_DEAL_TITLES[customer.segment])} — {name}"
            return f"{base} ({created + 6 * WEEK:%b %Y})" if customer.segment == "events" else base
        if renewal_of is not None:
            return f"{name} listing renewal — {customer.name}"
        base = {
            "distributor": f"{name} distribution — {customer.name}",
            "cafe": f"{name} for {customer.name}",
            "foodservice": f"{name} supply — {customer.name}",
        }.get(customer.segment, f"{name} listing — {customer.name}")
        if trigger == Trigger.RANGE_REVIEW:
            review = created + 8 * WEEK
            return f"{base} ({text.season_name(review.month)} {review.year} range review)"
        if trigger == Trigger.NEW_PRODUCT:
            return f"{base} (launch)"
        if trigger == Trigger.SEASONAL_NEED:
            summer = created.year if created.month <= 7 else created.year + 1
            return f"{base} (summer {summer})"
        return base

    # sizing
    def _size_win(self, deal: _Deal) -> None:
        """Settle a won deal's units per week; retail listings fill the retail volume
        still missing for their product at their first delivery week."""
        rng = self.rng
        first = deal.first_delivery_week
        if deal.channel != cat.RETAIL or first is None:
            deal.final_units = deal.initial_units * deal.revision
            return
        # What is missing at the start, the middle and the end of the deliveries, whichever is least.
        gap = min(
            self.demand.retail_target(week, deal.product.sku)
            - sum(
                listing.units
                for listing in self.listings
                if listing.product.sku == deal.product.sku and listing.delivers_in(week)
            )
            for week in (first, first + deal.delivery_weeks // 2 * WEEK, first + (deal.delivery_weeks - 1) * WEEK)
        )
        low, high = deal.customer.units
        if deal.renewal_of is not None:  # the same shelf again, give or take
            previous = deal.renewal_of.units
            units = max(0.7 * previous, min(1.2 * previous, gap * rng.uniform(0.85, 1.05)))
        elif gap >= low:
            units = min(high, max(low, gap * rng.uniform(0.75, 1.05)))
        else:  # little room left: a trial in a few stores
            units = max(1.0, low * rng.uniform(0.3, 0.7))
        deal.final_units = float(round(units))
        if deal.renewal_of is None:
            deal.initial_units = deal.final_units * rng.uniform(0.9, 1.3)
        self.listings.append(deal)


# --- from plans to records ------------------------------------------------------------------


def _units(value: float) -> Decimal:
    return Decimal(max(1, round(value)))


def _opportunity_record(deal: _Deal, rng: random.Random, tz: dt.tzinfo) -> OpportunityRecord:
    """Replay a deal's events into the states that django-simple-history would have kept."""
    first_units = _units(deal.initial_units)
    final_units = _units(deal.units)

    def delivery(close: dt.date) -> dt.date:
        return monday_of(close) + deal.lead_weeks * WEEK

    state: dict[str, Any] = {
        "external_id": deal.external_id,
        "title": deal.title,
        "customer": deal.customer.name,
        "owner": deal.owner,
        "channel": deal.channel,
        "product": deal.product.sku,
        "stage": cat.QUALIFY,
        "amount": deal.amount(float(first_units)),
        "probability": deal.first_probability,
        "forecast_category": _category(deal.first_probability),
        "created_on": deal.created_on,
        "expected_close_date": deal.first_close,
        "closed_on": None,
        "lost_reason": "",
        "source": deal.source,
        "direction": deal.direction,
        "last_touch": deal.last_touch,
        "trigger": deal.trigger,
        "first_delivery_week": delivery(deal.first_close),
        "units_per_week": first_units,
        "delivery_weeks": deal.delivery_weeks,
    }
    moments = _moments([deal.created_on] + [event.day for event in deal.events], rng, tz)
    history = [HistoryEntry(moments[0], "+", "Created", OpportunityState(**state))]
    for event, moment in zip(deal.events, moments[1:], strict=True):
        if event.kind == "stage":
            reason = f"Stage: {event.stage}"
            state.update(stage=event.stage, probability=event.probability)
            if event.revise:
                state.update(units_per_week=final_units, amount=deal.amount(float(final_units)))
                reason += "; amount revised"
        elif event.kind == "probability":
            reason = f"Probability {state['probability']}% → {event.probability}%"
            state["probability"] = event.probability
        elif event.kind == "slip":
            close = event.close_date or state["expected_close_date"]
            reason = f"Close date moved to {close:%d %b %Y}"
            state.update(expected_close_date=close, first_delivery_week=delivery(close))
        elif event.kind == "won":
            reason = "Won"
            state.update(
                stage=cat.WON,
                probability=100,
                closed_on=event.day,
                expected_close_date=event.day,
                units_per_week=final_units,
                amount=deal.amount(float(final_units)),
                first_delivery_week=deal.first_delivery_week,
            )
        else:
            reason = f"Lost: {event.reason}"[:100]
            state.update(
                stage=cat.LOST,
                probability=0,
                closed_on=event.day,
                expected_close_date=event.day,
                lost_reason=event.reason,
            )
        if state["stage"] == cat.WON:
            state["forecast_category"] = ForecastCategory.COMMIT
        elif state["stage"] == cat.LOST:
            state["forecast_category"] = ForecastCategory.OMITTED
        else:
            state["forecast_category"] = _category(state["probability"])
        history.append(HistoryEntry(moment, "~", reason, OpportunityState(**state)))
    return OpportunityRecord(tuple(history))


def _moments(days: list[dt.date], rng: random.Random, tz: dt.tzinfo) -> list[dt.datetime]:
    """Office-hours timestamps for a list of ordered days, strictly increasing."""
    result: list[dt.datetime] = []
    for day in days:
        moment = dt.datetime(day.year, day.month, day.day, 8, 0, tzinfo=tz) + dt.timedelta(
            minutes=rng.randrange(10 * 60)
        )
        if result and moment <= result[-1]:
            moment = result[-1] + dt.timedelta(minutes=rng.randint(2, 15))  # still the same day
        result.append(moment)
    return result


# --- sales ----------------------------------------------------------------------------------


def _sales(rng: random.Random, demand: Demand, deals: list[_Deal], listings: list[_Deal]) -> list[SaleRecord]:
    """Online: the web shop's weekly sales per juice (no customer). Both channels: the
    deliveries of won deals and of the listings older than the CRM, per customer, with
    retail seasonality."""
    units: dict[tuple[dt.date, str, str, str | None], float] = {}
    prices: dict[tuple[dt.date, str, str, str | None], float] = {}
    legacy = [listing for listing in listings if listing.number == 0]
    won = legacy + [deal for deal in deals if deal.outcome == "won" and deal.first_delivery_week is not None]
    week = demand.first_week
    while week <= demand.last_week:
        for product in cat.PRODUCTS:
            launch = demand.launched(product)
            if launch is not None and week < launch:
                continue
            key = (week, cat.ONLINE, product.sku, None)
            units[key] = demand.online_units(week, product) * rng.lognormvariate(0, 0.07)
            prices[key] = float(product.price) * rng.uniform(0.96, 1.01)
        for deal in won:
            if not deal.delivers_in(week):
                continue
            amplitude = deal.product.season * RETAIL_SEASON_DAMPING if deal.channel == cat.RETAIL else 0.0
            key = (week, deal.channel, deal.product.sku, deal.customer.name)
            units[key] = units.get(key, 0.0) + deal.units * season(week, amplitude) * rng.lognormvariate(0, 0.12)
            prices[key] = float(deal.product.price) * (1 - deal.discount) * rng.uniform(0.99, 1.01)
        week += WEEK
    slugs = {customer.name: customer.slug for customer in cat.CUSTOMERS}
    records = []
    for (day, channel, sku, customer), value in units.items():
        count = round(value)
        if count <= 0:
            continue
        suffix = f"-{slugs[customer]}" if customer else ""
        records.append(
            SaleRecord(
                date=day,
                channel=channel,
                product=sku,
                customer=customer,
                units=Decimal(count),
                revenue=Decimal(f"{count * prices[(day, channel, sku, customer)]:.2f}"),
                external_id=f"demo-sale-{channel.lower()}-{day:%Y-%m-%d}-{sku}{suffix}",
            )
        )
    return records


# --- forecast calls ---------------------------------------------------------------------------


def _round_money(value: float) -> Decimal:
    step = 100 if value >= 5000 else 10
    return Decimal(step * round(value / step)).quantize(CENT)


def _calls(
    rng: random.Random, sim: _Simulation, records: dict[str, OpportunityRecord], tz: dt.tzinfo
) -> list[CallRecord]:
    """Each rep's monthly commit and best case, made in the first week of the month (some
    revised two weeks later), against what the rep then really won that month."""
    today = sim.today
    won_by: dict[tuple[str, dt.date], float] = defaultdict(float)
    won_amounts: dict[str, list[float]] = defaultdict(list)
    for deal in sim.deals:
        if deal.outcome == "won" and deal.closed_on is not None:
            amount = float(records[deal.external_id].current.amount)
            won_by[(deal.owner, deal.closed_on.replace(day=1))] += amount
            won_amounts[deal.owner].append(amount)
    everyone = sorted(amount for amounts in won_amounts.values() for amount in amounts)
    this_month = today.replace(day=1)
    calls: list[CallRecord] = []
    for rep, habits in cat.REPS.items():
        amounts = sorted(won_amounts[rep]) or everyone or [10000.0]
        typical = amounts[len(amounts) // 2]
        month = add_months(sim.rep_joined(rep).replace(day=1), 3)
        while month <= this_month:
            week = first_monday(month)
            if week >= today:
                break
            # A past month is held against what was won; the month under way, against
            # the rep's own pipeline as it stands.
            actual = won_by[(rep, month)] if month < this_month else _expected_this_month(sim, records, rep, month)
            factor = rng.uniform(*habits.call_factor)
            if actual > 0:
                commit = actual * factor
            elif factor > 1.1:
                commit = typical * rng.uniform(0.3, 0.8)
            else:
                commit = typical * rng.uniform(0.1, 0.3) if rng.random() < 0.3 else 0.0
            best = max(commit * rng.uniform(1.15, 1.45), commit + typical * rng.uniform(0.1, 0.4))
            calls.append(_call(rep, month, commit, best, week, rng, tz))
            revised = week + 2 * WEEK
            if month < this_month and revised < today and rng.random() < 0.35:
                commit += (actual - commit) * rng.uniform(0.3, 0.6)
                best = max(best, commit * rng.uniform(1.1, 1.3))
                calls.append(_call(rep, month, commit, best, revised, rng, tz))
            month = add_months(month, 1)
    return calls


def _expected_this_month(sim: _Simulation, records: dict[str, OpportunityRecord], rep: str, month: dt.date) -> float:
    total = 0.0
    for deal in sim.deals:
        state = records[deal.external_id].current
        if deal.owner != rep or state.expected_close_date.replace(day=1) != month or state.stage == cat.LOST:
            continue
        total += float(state.amount) * (1.0 if state.stage == cat.WON else cat.DEFAULT_PROBABILITY[state.stage] / 100)
    return total


def _call(
    rep: str, month: dt.date, commit: float, best: float, week: dt.date, rng: random.Random, tz: dt.tzinfo
) -> CallRecord:
    commit_amount = _round_money(commit)
    best_amount = max(commit_amount, _round_money(best))
    submitted_at = dt.datetime(week.year, week.month, week.day, 9, 0, tzinfo=tz) + dt.timedelta(
        minutes=rng.randrange(180)
    )
    return CallRecord(rep, month, commit_amount, best_amount, week, submitted_at)


# --- NPS --------------------------------------------------------------------------------------


def _nps(rng: random.Random, sim: _Simulation) -> list[NpsRecord]:
    """Ten to twenty responses a month. Late deliveries in last summer's peak pull the
    score down hard (the summer before, a little); a batch of damaged boxes one November,
    and a price increase one January, leave their marks too."""
    demand, today = sim.demand, sim.today
    last_summer = today.year if dt.date(today.year, 8, 31) < today else today.year - 1
    month = demand.first_week.replace(day=1)
    records: list[NpsRecord] = []
    while month < today:
        days = calendar.monthrange(month.year, month.month)[1]
        count = rng.randint(10, 20)
        for _ in range(count):
            day = month + dt.timedelta(days=rng.randrange(days))
            if day >= today or day < demand.first_week:
                continue
            records.append(_nps_response(rng, sim, day, last_summer))
        month = add_months(month, 1)
    records.sort(key=lambda r: r.date)
    return records


def _nps_response(rng: random.Random, sim: _Simulation, day: dt.date, last_summer: int) -> NpsRecord:
    online = rng.random() < sim.demand.online_share(day) + 0.1
    channel = cat.ONLINE if online else cat.RETAIL
    mean = 8.4 if online else 7.9
    peak = dt.date(day.year, 7, 1) <= day <= dt.date(day.year, 8, 31)
    theme_weights: dict[str, float] = {
        text.LATE: 0.4,
        text.DAMAGED: 0.5,
        "warm": 1.0 if day.month in (6, 7, 8) else 0.0,
    }
    if peak and day.year == last_summer:
        mean -= 2.3
        theme_weights.update({text.LATE: 8.0, "warm": 3.0, "out_of_stock": 2.0})
    elif day.year == last_summer and day.month == 9:
        mean -= 0.8
        theme_weights[text.LATE] = 3.0
    elif peak and day.year == last_summer - 1:
        mean -= 0.8
        theme_weights[text.LATE] = 2.5
    if day.year == last_summer - 1 and day.month == 11:
        mean -= 1.2
        theme_weights[text.DAMAGED] = 6.0
    if day.year == last_summer and day.month <= 4:
        mean -= 0.3
        theme_weights[text.PRICE] = 3.0
    if day > dt.date(last_summer, 10, 1):
        mean += 0.3  # the new delivery partner
    score = int(min(10, max(0, round(rng.gauss(mean, 1.6)))))
    band = text.PROMOTER if score >= 9 else text.PASSIVE if score >= 7 else text.DETRACTOR
    themes = text.NPS_COMMENTS[channel][band]
    names = list(themes)
    theme = rng.choices(names, [theme_weights.get(name, 1.0) for name in names])[0]
    launched = [p for p in cat.PRODUCTS if (sim.demand.launched(p) or day) <= day]
    product = rng.choices(launched, [p.mix for p in launched])[0]
    comment = rng.choice(themes[theme]).format(product=product.short) if rng.random() < 0.9 else ""
    if online:
        customer = cat.HOUSEHOLDS.name if rng.random() < 0.3 else None
    else:
        listed = sorted({deal.customer.name for deal in sim.listings if deal.delivers_in(monday_of(day))}) or [
            c.name for c in cat.RETAIL_CUSTOMERS
        ]
        customer = rng.choice(listed)
    return NpsRecord(day, channel, customer, score, comment)


# --- the whole company -----------------------------------------------------------------------


def generate_demo(*, today: dt.date, tz: dt.tzinfo, seed: int = SEED) -> DemoData:
    """Build the demo company's history up to the day before `today`.

    Sales cover the `SALES_WEEKS` Mondays up to the week before today's; deals start
    `CRM_LEAD_WEEKS` earlier so that the first weeks already have listings to deliver.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    last_week = monday_of(today) - WEEK
    demand = Demand(first_week=last_week - (SALES_WEEKS - 1) * WEEK, last_week=last_week)
    sim = _Simulation(rng, today, demand)
    deals = sim.run()
    records = {deal.external_id: _opportunity_record(deal, rng, tz) for deal in deals}
    return DemoData(
        today=today,
        first_sales_week=demand.first_week,
        last_sales_week=last_week,
        users=cat.USERS,
        channels=cat.CHANNELS,
        products=cat.PRODUCTS,
        customers=cat.CUSTOMERS,
        stages=cat.STAGES,
        lead_sources=cat.LEAD_SOURCES,
        opportunities=tuple(records.values()),
        sales=tuple(_sales(rng, demand, deals, sim.listings)),
        calls=tuple(_calls(rng, sim, records, tz)),
        nps=tuple(_nps(rng, sim)),
    )

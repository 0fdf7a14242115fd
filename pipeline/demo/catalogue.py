"""The fixed cast of the demo company: people, channels, juices, customers, stages, sources.

Everything here is static; the generator adds the history (sales, deals, calls, NPS).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pipeline.choices import CustomerKind, ForecastMethod

ONLINE = "Online"
RETAIL = "Retail"


@dataclass(frozen=True)
class UserSpec:
    """A demo login. `role` is the name of a role group of `sopdesk.roles`."""

    username: str
    first_name: str
    last_name: str
    role: str

    @property
    def email(self) -> str:
        return f"{self.username}@juice.example"


@dataclass(frozen=True)
class RepHabits:
    """How a sales rep behaves, so that calibration and bias have something true to find.

    `stated_logit_shift`: added to the logit of the stage's default probability when the
    rep states a probability (positive = over-states). `win_shift`: added to each stage's
    chance of advancing. `close_optimism`: the rep's first guess of the sales cycle as a
    share of the real one (below 1 = close dates that slip). `call_factor`: (low, high) of
    the monthly commit as a share of what the rep then wins. `weight`: share of new deals.
    `joins_weeks_before_end`: None for reps who were there from the start.
    """

    stated_logit_shift: float
    stated_noise: float
    win_shift: float
    close_optimism: float
    call_factor: tuple[float, float]
    weight: float
    joins_weeks_before_end: int | None = None


@dataclass(frozen=True)
class ProductSpec:
    """A juice. `mix` is its share of demand; `season` the amplitude of its yearly cycle
    (negative: a winter product); `launched_weeks_before_end` None if always sold."""

    sku: str
    name: str
    short: str
    price: Decimal
    margin: Decimal
    mix: float
    season: float
    launched_weeks_before_end: int | None = None


@dataclass(frozen=True)
class CustomerSpec:
    """A customer and how big a deal with it is (cases per week: low, high)."""

    name: str
    kind: str
    region: str
    segment: str  # supermarket, grocer, cafe, distributor, foodservice, online
    units: tuple[int, int]

    @property
    def slug(self) -> str:
        keep = "".join(ch if ch.isalnum() else "-" for ch in self.name.lower())
        return "-".join(part for part in keep.split("-") if part)


@dataclass(frozen=True)
class StageSpec:
    name: str
    order: int
    default_probability: int
    is_won: bool = False
    is_lost: bool = False


USERS: tuple[UserSpec, ...] = (
    UserSpec("ceo", "Maya", "Okafor", "ceo"),
    UserSpec("sales", "Tom", "Becker", "sales"),
    UserSpec("coo", "Priya", "Nair", "operations"),
    UserSpec("anna", "Anna", "Lindqvist", "sales"),
    UserSpec("ben", "Ben", "Carter", "sales"),
    UserSpec("carla", "Carla", "Moreno", "sales"),
    UserSpec("dev", "Dev", "Patel", "sales"),
)
DEMO_USERNAMES: tuple[str, ...] = tuple(user.username for user in USERS)

REPS: dict[str, RepHabits] = {
    # Roughly honest, a touch optimistic.
    "anna": RepHabits(0.1, 0.35, 0.0, 0.85, (0.9, 1.1), 1.0),
    # Sandbagger: low probabilities, commits 70-80% of what he then wins; wins a bit more.
    "ben": RepHabits(-0.6, 0.3, 0.01, 1.05, (0.7, 0.8), 0.95),
    # Happy ears: high probabilities, early close dates, commits 125-140%; wins a bit less.
    "carla": RepHabits(0.85, 0.35, -0.06, 0.55, (1.25, 1.4), 1.25),
    # Joined later, honest but noisy.
    "dev": RepHabits(0.0, 0.6, -0.02, 0.75, (0.8, 1.2), 0.9, joins_weeks_before_end=78),
}

CHANNELS: tuple[tuple[str, str], ...] = (
    (ONLINE, ForecastMethod.RUN_RATE),
    (RETAIL, ForecastMethod.CONTRACTED),
)

PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        "JU-ORA-12", "Orange Sunrise, 12 × 330 ml", "Orange Sunrise", Decimal("24.00"), Decimal("42.00"), 0.30, 0.30
    ),
    ProductSpec("JU-GRN-12", "Green Detox, 12 × 330 ml", "Green Detox", Decimal("32.40"), Decimal("48.00"), 0.20, 0.30),
    ProductSpec("JU-BRY-12", "Berry Boost, 12 × 330 ml", "Berry Boost", Decimal("28.80"), Decimal("45.00"), 0.17, 0.30),
    ProductSpec(
        "JU-CAR-12",
        "Carrot & Turmeric, 12 × 330 ml",
        "Carrot & Turmeric",
        Decimal("27.60"),
        Decimal("44.00"),
        0.13,
        0.15,
    ),
    ProductSpec(
        "JU-WTM-12", "Watermelon Mint, 12 × 330 ml", "Watermelon Mint", Decimal("26.40"), Decimal("40.00"), 0.12, 0.75
    ),
    ProductSpec(
        "JU-GIN-24", "Ginger Shot, 24 × 60 ml", "Ginger Shot", Decimal("38.40"), Decimal("55.00"), 0.08, -0.2, 70
    ),
)

_SUPERMARKET = (35, 150)
_GROCER = (6, 30)
_CAFE = (2, 9)
_DISTRIBUTOR = (40, 130)
_FOODSERVICE = (10, 40)

RETAIL_CUSTOMERS: tuple[CustomerSpec, ...] = (
    CustomerSpec("FreshWay Supermarkets", CustomerKind.RETAILER, "National", "supermarket", _SUPERMARKET),
    CustomerSpec("Hartley's Food Hall", CustomerKind.RETAILER, "Central", "supermarket", _SUPERMARKET),
    CustomerSpec("Greenfield Markets", CustomerKind.RETAILER, "North", "supermarket", _SUPERMARKET),
    CustomerSpec("Coastal Co-op", CustomerKind.RETAILER, "South", "supermarket", _SUPERMARKET),
    CustomerSpec("Northgate Foods", CustomerKind.RETAILER, "North", "supermarket", _SUPERMARKET),
    CustomerSpec("Urban Basket", CustomerKind.RETAILER, "Central", "supermarket", _SUPERMARKET),
    CustomerSpec("Meadow Mart", CustomerKind.RETAILER, "West", "supermarket", _SUPERMARKET),
    CustomerSpec("Riverside Supermarkets", CustomerKind.RETAILER, "East", "supermarket", _SUPERMARKET),
    CustomerSpec("Wholesome Grocery", CustomerKind.RETAILER, "Central", "grocer", _GROCER),
    CustomerSpec("The Organic Pantry", CustomerKind.RETAILER, "North", "grocer", _GROCER),
    CustomerSpec("Roots & Shoots", CustomerKind.RETAILER, "South", "grocer", _GROCER),
    CustomerSpec("Little Green Grocer", CustomerKind.RETAILER, "West", "grocer", _GROCER),
    CustomerSpec("Harvest Moon Organics", CustomerKind.RETAILER, "East", "grocer", _GROCER),
    CustomerSpec("Earthbound Foods", CustomerKind.RETAILER, "Central", "grocer", _GROCER),
    CustomerSpec("Seed & Stem", CustomerKind.RETAILER, "South", "grocer", _GROCER),
    CustomerSpec("Good Earth Market", CustomerKind.RETAILER, "North", "grocer", _GROCER),
    CustomerSpec("The Wild Pantry", CustomerKind.RETAILER, "West", "grocer", _GROCER),
    CustomerSpec("Nature's Larder", CustomerKind.RETAILER, "East", "grocer", _GROCER),
    CustomerSpec("Orchard Lane Organics", CustomerKind.RETAILER, "South", "grocer", _GROCER),
    CustomerSpec("Sunflower Wholefoods", CustomerKind.RETAILER, "Central", "grocer", _GROCER),
    CustomerSpec("Bramble Market", CustomerKind.RETAILER, "North", "grocer", _GROCER),
    CustomerSpec("Field to Fork", CustomerKind.RETAILER, "West", "grocer", _GROCER),
    CustomerSpec("Bean There Café", CustomerKind.RETAILER, "Central", "cafe", _CAFE),
    CustomerSpec("The Daily Grind", CustomerKind.RETAILER, "North", "cafe", _CAFE),
    CustomerSpec("Juniper Café", CustomerKind.RETAILER, "South", "cafe", _CAFE),
    CustomerSpec("Cup & Crumb", CustomerKind.RETAILER, "East", "cafe", _CAFE),
    CustomerSpec("Morning Glory Coffee", CustomerKind.RETAILER, "West", "cafe", _CAFE),
    CustomerSpec("Flat White Society", CustomerKind.RETAILER, "Central", "cafe", _CAFE),
    CustomerSpec("The Corner Kitchen", CustomerKind.RETAILER, "North", "cafe", _CAFE),
    CustomerSpec("Sprout Café", CustomerKind.RETAILER, "South", "cafe", _CAFE),
    CustomerSpec("Brew Lab", CustomerKind.RETAILER, "East", "cafe", _CAFE),
    CustomerSpec("Oat & Honey", CustomerKind.RETAILER, "West", "cafe", _CAFE),
    CustomerSpec("Pure Drinks Distribution", CustomerKind.DISTRIBUTOR, "National", "distributor", _DISTRIBUTOR),
    CustomerSpec("Evergreen Wholesale", CustomerKind.DISTRIBUTOR, "North", "distributor", _DISTRIBUTOR),
    CustomerSpec("Metro Foodservice", CustomerKind.DISTRIBUTOR, "Central", "distributor", _DISTRIBUTOR),
    CustomerSpec("Blue Ridge Distributors", CustomerKind.DISTRIBUTOR, "South", "distributor", _DISTRIBUTOR),
    CustomerSpec("Vita Trade Partners", CustomerKind.DISTRIBUTOR, "East", "distributor", _DISTRIBUTOR),
    CustomerSpec("PulseFit Gyms", CustomerKind.RETAILER, "National", "foodservice", _FOODSERVICE),
    CustomerSpec("Harbour Hotels Group", CustomerKind.RETAILER, "South", "foodservice", _FOODSERVICE),
    CustomerSpec("Campus Catering Co.", CustomerKind.RETAILER, "Central", "foodservice", _FOODSERVICE),
)

HOUSEHOLDS = CustomerSpec("Online: households", CustomerKind.CONSUMER_SEGMENT, "All", "online", (1, 1))
ONLINE_SEGMENTS: tuple[CustomerSpec, ...] = (
    HOUSEHOLDS,
    CustomerSpec("Online: offices & co-working", CustomerKind.CONSUMER_SEGMENT, "All", "offices", (3, 15)),
    CustomerSpec("Online: gyms & studios", CustomerKind.CONSUMER_SEGMENT, "All", "gyms", (4, 18)),
    CustomerSpec("Online: events & gifting", CustomerKind.CONSUMER_SEGMENT, "All", "events", (20, 160)),
)
CUSTOMERS: tuple[CustomerSpec, ...] = RETAIL_CUSTOMERS + ONLINE_SEGMENTS

# How likely a new retail deal is with each kind of customer.
SEGMENT_WEIGHTS: dict[str, float] = {
    "supermarket": 0.28,
    "grocer": 0.34,
    "cafe": 0.18,
    "distributor": 0.13,
    "foodservice": 0.07,
}

QUALIFY = "Qualify"
SAMPLE_SENT = "Sample sent"
PROPOSAL = "Tasting / Proposal"
NEGOTIATE = "Negotiate"
WON = "Won"
LOST = "Lost"
OPEN_STAGES: tuple[str, ...] = (QUALIFY, SAMPLE_SENT, PROPOSAL, NEGOTIATE)

STAGES: tuple[StageSpec, ...] = (
    StageSpec(QUALIFY, 1, 10),
    StageSpec(SAMPLE_SENT, 2, 25),
    StageSpec(PROPOSAL, 3, 45),
    StageSpec(NEGOTIATE, 4, 65),
    StageSpec(WON, 5, 100, is_won=True),
    StageSpec(LOST, 6, 0, is_lost=True),
)
DEFAULT_PROBABILITY: dict[str, int] = {stage.name: stage.default_probability for stage in STAGES}

# The real chance of moving on from each open stage (the last one: of winning), before the
# rep's and the source's shifts: from Sample sent on, close to the stage defaults; from
# Qualify about 20%, twice its default. Renewals win far more often.
ADVANCE: dict[str, float] = {QUALIFY: 0.85, SAMPLE_SENT: 0.62, PROPOSAL: 0.7, NEGOTIATE: 0.74}
ADVANCE_RENEWAL: dict[str, float] = {QUALIFY: 0.97, SAMPLE_SENT: 0.92, PROPOSAL: 0.9, NEGOTIATE: 0.9}
# Mean days spent in each open stage by a mid-sized deal.
STAGE_DAYS: dict[str, float] = {QUALIFY: 18, SAMPLE_SENT: 25, PROPOSAL: 32, NEGOTIATE: 24}
SEGMENT_PACE: dict[str, float] = {
    "supermarket": 1.4,
    "distributor": 1.3,
    "grocer": 1.0,
    "foodservice": 0.9,
    "cafe": 0.6,
    "offices": 0.5,
    "gyms": 0.5,
    "events": 0.4,
}

REFERRAL = "Referral"
TRADE_SHOW = "Trade show"
WEB_SHOP = "Web shop enquiry"
INSTAGRAM = "Instagram ad"
OUTBOUND = "Outbound prospecting"
DISTRIBUTOR_INTRO = "Distributor introduction"
PRESS = "Press"
LEAD_SOURCES: tuple[str, ...] = (REFERRAL, TRADE_SHOW, WEB_SHOP, INSTAGRAM, OUTBOUND, DISTRIBUTOR_INTRO, PRESS)

# Source weights of new deals; trade-show deals come in bursts after the shows.
RETAIL_SOURCE_WEIGHTS: dict[str, float] = {
    REFERRAL: 16,
    TRADE_SHOW: 3,
    WEB_SHOP: 3,
    INSTAGRAM: 3,
    OUTBOUND: 36,
    DISTRIBUTOR_INTRO: 14,
    PRESS: 4,
}
ONLINE_SOURCE_WEIGHTS: dict[str, float] = {
    REFERRAL: 14,
    TRADE_SHOW: 2,
    WEB_SHOP: 34,
    INSTAGRAM: 30,
    OUTBOUND: 12,
    DISTRIBUTOR_INTRO: 0,
    PRESS: 8,
}
# Source -> its share of outbound deals (the rest are inbound).
OUTBOUND_SHARE: dict[str, float] = {
    REFERRAL: 0.0,
    TRADE_SHOW: 0.3,
    WEB_SHOP: 0.0,
    INSTAGRAM: 0.0,
    OUTBOUND: 1.0,
    DISTRIBUTOR_INTRO: 0.2,
    PRESS: 0.0,
}
# Trade shows: (month, day) of the spring and autumn fairs.
TRADE_SHOWS: tuple[tuple[int, int], ...] = ((2, 12), (9, 24))
SOURCE_BONUS: dict[str, float] = {REFERRAL: 0.05, DISTRIBUTOR_INTRO: 0.03, OUTBOUND: -0.05, INSTAGRAM: -0.02}

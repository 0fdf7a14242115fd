"""Words for the demo company: NPS comments, lost reasons and deal titles.

The comments are grouped by channel, by NPS band (promoter 9-10, passive 7-8, detractor
0-6) and by theme, so that the generator can make a late-delivery summer sound like one.
Templates may use `{product}` (a juice's short name).
"""

from __future__ import annotations

from .catalogue import NEGOTIATE, PROPOSAL, QUALIFY, SAMPLE_SENT

PROMOTER = "promoter"
PASSIVE = "passive"
DETRACTOR = "detractor"

LATE = "late_delivery"
DAMAGED = "damaged"
PRICE = "price"

# channel -> band -> theme -> templates
NPS_COMMENTS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "Online": {
        PROMOTER: {
            "fresh_taste": (
                "The {product} tastes like it was pressed this morning. Nothing in the shops comes close.",
                "Fresh, not too sweet, and you can taste the real fruit. Our fridge is never without it.",
                "Honestly the best {product} I've had. My kids ask for it every morning.",
                "Tastes fresh every single time, even on the last bottle of the case.",
            ),
            "fast_delivery": (
                "Ordered on Monday, at the door on Tuesday, still cold. Brilliant.",
                "Delivery is always on time and the driver is lovely.",
                "Quick delivery and the bottles arrived properly chilled.",
            ),
            "subscription": (
                "The subscription just works: easy to pause when we go away.",
                "Love that I can swap flavours in the subscription every week.",
                "Subscription is great value and I never run out.",
            ),
            "packaging": (
                "Glad the bottles are recyclable and the box is plastic-free.",
                "Really like the new returnable crates. Feels good to order.",
            ),
            "service": (
                "Had a question about ingredients and got a friendly answer within the hour.",
                "A bottle was missing once and they sent two the next day. Great service.",
            ),
        },
        PASSIVE: {
            PRICE: (
                "Lovely juice, but it has become pricey for a weekly order.",
                "Great taste, though the {product} is a bit expensive for what it is.",
                "Good quality. I'd order more if there were a discount for bigger cases.",
            ),
            "delivery_window": (
                "Good juice, but I'd like to choose a delivery slot in the evening.",
                "Fine overall. The delivery window of a whole day is annoying.",
            ),
            "range": (
                "Nice range, but I'd love a low-sugar option.",
                "The {product} is good. Please bring back the smaller bottles.",
                "Would like more seasonal flavours, it gets a bit repetitive.",
            ),
            LATE: (
                "Tasty as always, but the last delivery came a day late.",
                "The juice is great, delivery less so lately: two late boxes this month.",
            ),
        },
        DETRACTOR: {
            LATE: (
                "Third late delivery in a row. The juice was warm when it finally arrived.",
                "Ordered for a weekend party, it arrived on Tuesday. Not acceptable.",
                "Delivery promised for Thursday, came the following Monday. Cancelled my subscription.",
                "Waited all day at home and nothing came. Customer service said the warehouse is overloaded.",
                "Late again, and no message to say so. The taste doesn't make up for this.",
            ),
            DAMAGED: (
                "Two bottles broken in the box and everything sticky. Not the first time.",
                "The case arrived crushed and leaking. Please pack it better.",
                "Cracked lids on three bottles of {product}, had to throw them away.",
            ),
            PRICE: (
                "Too expensive now after the price increase. Switching to the supermarket brand.",
                "Price went up again, it's just not worth it anymore.",
            ),
            "warm": (
                "Bottles arrived warm in the heatwave. Not what I pay for.",
                "No cooling in the box in July, the {product} tasted off.",
            ),
            "taste": (
                "The {product} tastes different from before, much more watery.",
                "Last batch of {product} was sour. Disappointed.",
            ),
        },
    },
    "Retail": {
        PROMOTER: {
            "sell_through": (
                "The {product} sells out every week in our stores. Customers ask for it by name.",
                "Strong sell-through since the listing, one of our best chilled drinks.",
                "Our shoppers love the range. We are adding it to two more stores.",
            ),
            "reliable": (
                "Deliveries always hit our slot and the paperwork is right first time.",
                "Reliable supplier, consistent quality, easy to deal with.",
            ),
            "rep_service": (
                "Your rep visits regularly and helps with the shelf. Great partnership.",
                "The tasting days you ran in store boosted sales a lot.",
            ),
            "marketing": (
                "The point-of-sale material and the Instagram push really helped the launch.",
                "Customers come in after seeing your ads. Good support for retailers.",
            ),
        },
        PASSIVE: {
            "margin": (
                "Good product, but the margin for us is tight at this price.",
                "Sells well, but we need better terms to keep the full range.",
            ),
            "min_order": (
                "Minimum order is too high for a shop our size.",
                "We'd take more flavours if we could mix cases.",
            ),
            "shelf_life": (
                "Shelf life is short, we write off a few cases each month.",
                "Fine product. The short dates make it hard to manage the chiller.",
            ),
            LATE: (
                "Quality is great, but deliveries were late a few times this month.",
                "Generally fine, though summer deliveries kept missing our morning slot.",
            ),
        },
        DETRACTOR: {
            LATE: (
                "Deliveries missed our slot three weeks running during the peak. Empty shelves in July.",
                "Late drops all summer. We had to turn the delivery away twice.",
                "Orders arrive one or two days late and incomplete. We can't plan promotions like this.",
                "Your warehouse clearly can't keep up: half our summer order came a week late.",
            ),
            DAMAGED: (
                "A pallet arrived with broken bottles and juice all over the cases.",
                "Too many damaged cases lately. We had to claim credit notes twice.",
            ),
            "out_of_stock": (
                "The {product} was out of stock for weeks and nobody told us.",
                "We lose sales every time you run out of the best sellers.",
            ),
            PRICE: (
                "The new price list puts you well above other brands on our shelf.",
                "Cost price went up again and shoppers are trading down.",
            ),
            "invoicing": ("Invoices don't match the delivery notes. It takes hours to reconcile.",),
        },
    },
}

# Why deals are lost, by the stage they were lost in.
LOST_REASONS: dict[str, tuple[str, ...]] = {
    QUALIFY: (
        "No response after first contact",
        "Not a fit: no chiller space",
        "Too small to serve profitably",
        "Already tied to a competitor contract",
    ),
    SAMPLE_SENT: (
        "No response after samples",
        "Taste panel preferred a competitor",
        "Buyer left the company",
        "Range review postponed",
    ),
    PROPOSAL: (
        "Price too high",
        "No shelf space this season",
        "Went with a competitor",
        "Minimum order too large",
        "Range review postponed",
    ),
    NEGOTIATE: (
        "Price too high",
        "Went with a competitor",
        "Could not agree payment terms",
        "Delivery schedule not possible",
        "Budget frozen",
    ),
}

ONLINE_DEAL_TITLES: dict[str, tuple[str, ...]] = {
    "offices": ("Office fridge subscription", "Team wellness juice plan", "Meeting-room juice subscription"),
    "gyms": ("Post-workout juice bundle", "Studio bar supply", "Members' juice offer"),
    "events": ("Corporate gift boxes", "Summer festival order", "Conference catering order", "Wedding juice bar"),
}


def season_name(month: int) -> str:
    """The season of a month, as buyers say it (northern hemisphere)."""
    return ("winter", "spring", "summer", "autumn")[(month % 12) // 3]

from django.db import models


class ForecastMethod(models.TextChoices):
    RUN_RATE = "run_rate", "Run rate (statistical, from sales history)"
    CONTRACTED = "contracted", "Contracted (won deals and open pipeline)"


class CustomerKind(models.TextChoices):
    RETAILER = "retailer", "Retailer"
    DISTRIBUTOR = "distributor", "Distributor"
    CONSUMER_SEGMENT = "consumer_segment", "Consumer segment"


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    BEST_CASE = "best_case", "Best case"
    COMMIT = "commit", "Commit"
    OMITTED = "omitted", "Omitted"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class LastTouch(models.TextChoices):
    """Where the customer last saw us before the opportunity was opened."""

    WEBSITE = "website", "Our website"
    WEB_SHOP = "web_shop", "Web shop"
    INSTAGRAM = "instagram", "Instagram"
    TIKTOK = "tiktok", "TikTok"
    IN_STORE = "in_store", "In a store"
    TRADE_SHOW = "trade_show", "Trade show"
    EVENT = "event", "Event or tasting"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    PRESS = "press", "Press"
    OTHER = "other", "Other"


class Trigger(models.TextChoices):
    """What prompted the contact."""

    NEW_PRODUCT = "new_product", "New product"
    SEASONAL_NEED = "seasonal_need", "Seasonal need"
    PROMOTION = "promotion", "Promotion or offer"
    AD_CAMPAIGN = "ad_campaign", "Advertising campaign"
    RECOMMENDATION = "recommendation", "Recommendation"
    COMPETITOR_ISSUE = "competitor_issue", "Problem with a competitor"
    RANGE_REVIEW = "range_review", "Retailer range review"
    EXPANSION = "expansion", "Customer expansion"
    OTHER = "other", "Other"

from django.db import models


class ResourceKind(models.TextChoices):
    PEOPLE = "people", "People (hands-on work)"
    MACHINE = "machine", "Machine or line"
    PARTNER = "partner", "Partner or carrier"
    SPACE = "space", "Space or storage"


class Side(models.TextChoices):
    SALES = "sales", "Sales"
    OPERATIONS = "operations", "Operations"


class SpendCategory(models.TextChoices):
    ADVERTISING = "advertising", "Advertising"
    PROMOTION = "promotion", "Retail promotion"
    SALES_STAFF = "sales_staff", "Sales staff"
    WAREHOUSE_STAFF = "warehouse_staff", "Warehouse staff"
    DELIVERY = "delivery", "Delivery platform"
    SYSTEMS = "systems", "Systems"
    EQUIPMENT = "equipment", "Equipment"
    OTHER = "other", "Other"


class EffectKind(models.TextChoices):
    DEMAND_UPLIFT = "demand_uplift", "More demand"
    CAPACITY_INCREASE = "capacity_increase", "More capacity"


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    DEFERRED = "deferred", "Deferred"


DECIDED_STATUSES = (ProposalStatus.APPROVED, ProposalStatus.REJECTED, ProposalStatus.DEFERRED)

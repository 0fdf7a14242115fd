from django.db import models


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (nothing changed)"


class Component(models.TextChoices):
    RUN_RATE = "run_rate", "Run rate"
    BACKLOG = "backlog", "Backlog"
    PIPELINE = "pipeline", "Pipeline"
    UPLIFT = "uplift", "Uplift"


class CalibrationDimension(models.TextChoices):
    STAGE = "stage", "Stage"
    SOURCE = "source", "Source"
    OWNER = "owner", "Owner"


class ScenarioKind(models.TextChoices):
    CUSTOM = "custom", "Custom"
    BASELINE = "baseline", "Baseline (the plan as approved)"
    SALES_SIDE = "sales_side", "Sales side"
    OPERATIONS_SIDE = "operations_side", "Operations side"
    BALANCED = "balanced", "Balanced"
    BEST_WITHIN_BUDGET = "best_within_budget", "Best within budget"


class ScenarioStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"

"""The browser pages of the pipeline. Views parse input, call a service or a selector, render."""

from .calls import call_list
from .imports import opportunity_import, sale_import
from .nps import nps_list
from .opportunities import opportunity_create, opportunity_detail, opportunity_edit, opportunity_list
from .reference import reference_create, reference_delete, reference_edit, reference_list, setup_home
from .stage_moves import opportunity_lose, opportunity_move

__all__ = [
    "call_list",
    "nps_list",
    "opportunity_create",
    "opportunity_detail",
    "opportunity_edit",
    "opportunity_import",
    "opportunity_list",
    "opportunity_lose",
    "opportunity_move",
    "reference_create",
    "reference_delete",
    "reference_edit",
    "reference_list",
    "sale_import",
    "setup_home",
]

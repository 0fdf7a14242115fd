"""The operations pages: one module per subject, the URLs import them from here."""

from .home import home
from .imports import capacity_import
from .proposals import (
    proposal_create,
    proposal_decide,
    proposal_delete,
    proposal_detail,
    proposal_edit,
    proposal_list,
    proposal_submit,
)
from .resources import (
    capacity_create,
    resource_create,
    resource_detail,
    resource_edit,
    resource_list,
    resource_load_delete,
    resource_load_set,
)
from .spend import budget_create, budget_edit, budget_list, spend_create, spend_edit, spend_list
from .targets import target_create, target_edit, target_list

__all__ = [
    "budget_create",
    "budget_edit",
    "budget_list",
    "capacity_create",
    "capacity_import",
    "home",
    "proposal_create",
    "proposal_decide",
    "proposal_delete",
    "proposal_detail",
    "proposal_edit",
    "proposal_list",
    "proposal_submit",
    "resource_create",
    "resource_detail",
    "resource_edit",
    "resource_list",
    "resource_load_delete",
    "resource_load_set",
    "spend_create",
    "spend_edit",
    "spend_list",
    "target_create",
    "target_edit",
    "target_list",
]

"""Every write of the workspace (see the modules: worklist, calls, assignment, targets, calendar)."""

from arrears.worklist.services.assignment import AssignmentChange, AssignmentResult, assignment_apply
from arrears.worklist.services.calendar import (
    calendar_token_get_or_create,
    calendar_token_reset,
    ical_calendar,
    ical_escape,
    ical_fold,
)
from arrears.worklist.services.calls import (
    call_log_create,
    follow_up_complete,
    follow_up_create,
    note_create,
    worklist_payment_received,
)
from arrears.worklist.services.targets import target_may_set, target_set
from arrears.worklist.services.worklist import (
    SyncResult,
    absence_create,
    worklist_build,
    worklist_rebalance,
    worklist_refresh_customer,
)

__all__ = [
    "AssignmentChange",
    "AssignmentResult",
    "SyncResult",
    "absence_create",
    "assignment_apply",
    "calendar_token_get_or_create",
    "calendar_token_reset",
    "call_log_create",
    "follow_up_complete",
    "follow_up_create",
    "ical_calendar",
    "ical_escape",
    "ical_fold",
    "note_create",
    "target_may_set",
    "target_set",
    "worklist_build",
    "worklist_payment_received",
    "worklist_rebalance",
    "worklist_refresh_customer",
]

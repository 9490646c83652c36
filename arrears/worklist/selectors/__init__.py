"""Every read of the workspace (see the modules: worklist, risk, timeline, targets, calendar)."""

from arrears.worklist.selectors.calendar import (
    CalendarEvent,
    calendar_events_for_user,
    calendar_user_for_token,
)
from arrears.worklist.selectors.risk import AccountRisk, account_risk_for_customers, fx_rates_to, money_text
from arrears.worklist.selectors.targets import (
    Progress,
    period_end,
    target_list_visible,
    target_progress,
    targets_current,
    teams_visible,
)
from arrears.worklist.selectors.timeline import (
    ContactRow,
    TimelineEntry,
    TrendPoint,
    contacts_with_consent,
    dbt_trend_for_customer,
    timeline_for_customer,
)
from arrears.worklist.selectors.worklist import (
    Account,
    Candidate,
    absent_user_ids,
    last_call_dates,
    team_load,
    team_members,
    worklist_accounts,
    worklist_candidates,
    worklist_customer_get,
    worklist_item_list_visible,
    worklist_items_for_customer,
    worklist_next_customer_id,
)

__all__ = [
    "Account", "AccountRisk", "CalendarEvent", "Candidate", "ContactRow", "Progress", "TimelineEntry", "TrendPoint",
    "absent_user_ids", "account_risk_for_customers", "calendar_events_for_user", "calendar_user_for_token",
    "contacts_with_consent", "dbt_trend_for_customer", "fx_rates_to", "last_call_dates", "money_text", "period_end",
    "target_list_visible", "target_progress", "targets_current", "team_load", "team_members", "teams_visible",
    "timeline_for_customer", "worklist_accounts", "worklist_candidates", "worklist_customer_get",
    "worklist_item_list_visible", "worklist_items_for_customer", "worklist_next_customer_id",
]

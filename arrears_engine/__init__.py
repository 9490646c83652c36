"""The nightly collections engine: plain Python and NumPy over columnar arrays. No Django here.

Public API (see docs/engine.md)::

    plan = plan_dunning_run(items, customers, policy, as_of=date(2026, 3, 2), events=events)

Inputs are frozen dataclasses of numpy arrays (:class:`OpenItems`, :class:`Customers`,
:class:`Events`) and a :class:`DunningPolicy` (strategies as ordered :class:`Step` ladders, plus
business-day calendars). The :class:`DunningPlan` holds per-item rows, per-customer messages and
totals per message and currency, all numpy arrays.
"""

from arrears_engine.ageing import ageing_bucket, days_past_due
from arrears_engine.business_days import BusinessCalendar, holiday_calendar
from arrears_engine.codes import Arm, BusinessDayRule, Channel, EventKind, MessageKind, Reason, Trigger
from arrears_engine.columns import (
    ColumnError,
    Customers,
    Events,
    ItemPlan,
    Messages,
    MessageTotals,
    OpenItems,
)
from arrears_engine.plan import DunningPlan, plan_dunning_run
from arrears_engine.policy import DunningPolicy, PolicyError, Step, Strategy
from arrears_engine.segments import (
    CustomerAttributes,
    SegmentRule,
    StrategyAssignment,
    assign_arm,
    assign_strategies,
)

__all__ = [
    "Arm",
    "BusinessCalendar",
    "BusinessDayRule",
    "Channel",
    "ColumnError",
    "CustomerAttributes",
    "Customers",
    "DunningPlan",
    "DunningPolicy",
    "EventKind",
    "Events",
    "ItemPlan",
    "MessageKind",
    "MessageTotals",
    "Messages",
    "OpenItems",
    "PolicyError",
    "Reason",
    "SegmentRule",
    "Step",
    "Strategy",
    "StrategyAssignment",
    "Trigger",
    "ageing_bucket",
    "assign_arm",
    "assign_strategies",
    "days_past_due",
    "holiday_calendar",
    "plan_dunning_run",
]

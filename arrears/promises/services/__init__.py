"""Every write for promises and payment plans (see promises.py and plans.py)."""

from arrears.promises.services.plans import (
    PlanEvaluation,
    plan_approve,
    plan_cancel,
    plan_create,
    plan_due_dates,
    plan_evaluate,
    plan_on_payment,
    plan_schedule_equal,
    plan_submit,
)
from arrears.promises.services.promises import (
    PromiseEvaluation,
    promise_cancel,
    promise_create,
    promise_evaluate,
    promises_on_payment,
)

__all__ = [
    "PlanEvaluation",
    "PromiseEvaluation",
    "plan_approve",
    "plan_cancel",
    "plan_create",
    "plan_due_dates",
    "plan_evaluate",
    "plan_on_payment",
    "plan_schedule_equal",
    "plan_submit",
    "promise_cancel",
    "promise_create",
    "promise_evaluate",
    "promises_on_payment",
]

"""The nightly collections cycle: every app's nightly step, in order, for one as-of date.

This is the only place that knows the order, which is why it sits above every app:
1. promises and payment plans are settled or broken (their holds must be current before dunning);
2. the dunning run plans, gates and writes the day's actions and dispatches them to the outbox;
3. predictions and early warnings are refreshed (the worklist orders by them);
4. each collector's worklist is rebuilt;
5. a balance snapshot is taken for trends and roll rates.
Every step is idempotent, so the whole cycle can be re-run for the same date.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from arrears.analytics.services import snapshot_take
from arrears.dunning.services.nightly_run import dunning_run, run_record
from arrears.promises.services.plans import plan_evaluate
from arrears.promises.services.promises import promise_evaluate
from arrears.scoring.models import ModelVersion
from arrears.scoring.services.early_warnings import early_warnings_compute
from arrears.scoring.services.predictions import predictions_refresh
from arrears.worklist.services.worklist import worklist_build

logger = logging.getLogger("arrears.nightly")


@dataclass
class CycleResult:
    as_of: dt.date
    steps: dict[str, Any] = field(default_factory=dict)
    durations_s: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "steps": self.steps,
            "durations_s": self.durations_s,
            "total_s": round(sum(self.durations_s.values()), 3),
        }


def _summary(value: Any) -> Any:
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    return value


def nightly_cycle(
    *, as_of: dt.date, predict: bool = True, snapshot: bool = True, say: Callable[[str], Any] | None = None
) -> CycleResult:
    """Run the cycle for `as_of`. `predict=False` skips predictions when no model has been trained."""
    result = CycleResult(as_of=as_of)

    def step(name: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = fn()
        result.durations_s[name] = round(time.perf_counter() - started, 3)
        result.steps[name] = _summary(value)
        logger.debug("nightly %s %s done in %.2f s", as_of, name, result.durations_s[name])
        if say is not None:
            say(f"  {name:<12} {result.durations_s[name]:>7.2f} s")
        return value

    step("promises", lambda: promise_evaluate(as_of=as_of))
    step("plans", lambda: plan_evaluate(as_of=as_of))
    step("dunning", lambda: run_record(*dunning_run(as_of=as_of)[:1]))
    if predict and ModelVersion.objects.exists():
        step("predictions", lambda: predictions_refresh(as_of=as_of))
    step("warnings", lambda: early_warnings_compute(as_of=as_of))
    step("worklist", lambda: worklist_build(as_of=as_of))
    if snapshot:
        step("snapshot", lambda: snapshot_take(as_of=as_of, forecast=False))
    return result

"""Celery wiring for the nightly run: one task per customer partition, reduced by a counter.

`dunning_run` (services) sends `dunning.run_partition` once per partition (customer_id % P); any
number of workers take them; the partition that finishes last reduces the run record and dispatches
the actions. Without a broker the same partition code runs in-process.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task

from arrears.dunning.services.nightly_run import dunning_run, run_partition_execute, run_record


@shared_task(name="dunning.run_partition", acks_late=True, max_retries=0)
def run_partition(*, run_id: int, partition: int, dispatch: bool = True) -> dict[str, Any]:
    return run_partition_execute(run_id=run_id, partition=partition, dispatch=dispatch)


@shared_task(name="dunning.dunning_run")
def dunning_run_task(*, as_of: str | None = None) -> dict[str, Any]:
    """For Celery beat: the night for `as_of` (default: today in the company's time zone)."""
    from arrears.common.clock import today

    day = dt.date.fromisoformat(as_of) if as_of else today()
    run, already = dunning_run(as_of=day, wait=False)
    return run_record(run, already_ran=already)

import datetime as dt

from celery import shared_task

from arrears.common.clock import today
from arrears.nightly.services import nightly_cycle


@shared_task(name="nightly.cycle", bind=True, max_retries=2, default_retry_delay=300)
def nightly_cycle_task(self, as_of: str | None = None) -> dict:
    """Beat fires this each night; every step is idempotent, so a retry is safe."""
    date = dt.date.fromisoformat(as_of) if as_of else today()
    return nightly_cycle(as_of=date).as_dict()

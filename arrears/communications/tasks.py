"""Celery tasks: each takes ids, calls one service. Retries are bounded by the outbox itself
(ARREARS_OUTBOX_MAX_ATTEMPTS): a transient failure re-queues the row with a backoff, and the task
re-schedules itself for that time; the conditional claim makes an extra run harmless."""

from __future__ import annotations

from celery import shared_task

from arrears.communications.models import OutboundMessage
from arrears.communications.services.outbox import max_attempts, outbox_send_due, outbox_send_one


@shared_task(bind=True, max_retries=None, acks_late=False)
def outbox_send(self, message_id: int) -> str:
    result = outbox_send_one(message_id=message_id)
    if result == "queued" and not self.request.is_eager and self.request.retries < max_attempts():
        row = OutboundMessage.objects.filter(pk=message_id).values("next_attempt_at").first()
        if row and row["next_attempt_at"]:
            raise self.retry(eta=row["next_attempt_at"])
    return result


@shared_task
def outbox_send_due_task(limit: int = 500) -> dict[str, int]:
    """The periodic sweep (e.g. every minute from beat): dead workers' rows, deferred and retried mail."""
    return outbox_send_due(limit=limit)

"""Communications writes. Submodules by topic; the public names are re-exported here."""

from arrears.communications.services.bounces import bounce_process, dsn_parse
from arrears.communications.services.bulk import (
    CallRequest,
    QueueRequest,
    call_tasks_create_many,
    messages_queue_many,
)
from arrears.communications.services.calls import call_task_complete, call_task_create
from arrears.communications.services.inbound import (
    inbound_confirm,
    inbound_process,
    mail_fetch_dir,
    mail_fetch_imap,
)
from arrears.communications.services.letters import letter_batch_print
from arrears.communications.services.optout import opt_out_by_token, sms_inbound_process
from arrears.communications.services.outbox import (
    message_queue,
    outbox_mark_delivered,
    outbox_message_resolve,
    outbox_recover_expired,
    outbox_send_due,
    outbox_send_one,
)
from arrears.communications.services.templates import (
    template_activate,
    template_create,
    template_load_defaults,
    template_render_for_customer,
    template_update,
)

# The nightly run's entry point lives in services.dispatch (dunning_actions_dispatch) and is not
# re-exported here on purpose: dunning's older hook looks for that name here and calls it with run_id=.
__all__ = [
    "CallRequest", "QueueRequest", "bounce_process", "call_task_complete", "call_task_create",
    "call_tasks_create_many", "dsn_parse", "inbound_confirm", "inbound_process",
    "letter_batch_print", "mail_fetch_dir", "mail_fetch_imap", "message_queue", "messages_queue_many",
    "opt_out_by_token",
    "outbox_mark_delivered", "outbox_message_resolve", "outbox_recover_expired", "outbox_send_due",
    "outbox_send_one", "sms_inbound_process", "template_activate", "template_create", "template_load_defaults",
    "template_render_for_customer", "template_update",
]

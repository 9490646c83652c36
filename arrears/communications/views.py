"""Pages: templates (edit + live preview), the outbox, inbound replies; public opt-out and SMS webhooks."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from arrears.common.clock import today
from arrears.communications.models import (
    InboundLabel,
    InboundStatus,
    LetterBatch,
    MessageStatus,
    MessageTemplate,
)
from arrears.communications.rendering import TemplateRenderError
from arrears.communications.selectors import (
    inbound_get_for_user,
    inbound_list_visible,
    outbox_get_for_user,
    outbox_list_visible,
    template_list,
    template_versions,
)
from arrears.communications.services import (
    inbound_confirm,
    opt_out_by_token,
    outbox_mark_delivered,
    outbox_message_resolve,
    sms_inbound_process,
    template_render_for_customer,
    template_update,
)
from arrears.communications.services.letters import letter_batch_path
from arrears.communications.services.templates import TemplateInvalid
from arrears.ledger.models import Channel
from arrears.ledger.selectors import customer_get_for_user, customer_list_visible
from arrears.users.models import Role

PAGE_SIZE = 50


def _may_edit_templates(user) -> bool:
    return user.is_superuser or (user.role in {Role.ADMIN, Role.HEAD, Role.LEAD})


def _may_act(user) -> bool:
    return not user.is_read_only


def _page(request: HttpRequest, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


# --- templates ---------------------------------------------------------------------------------------


@login_required
def template_list_page(request: HttpRequest) -> HttpResponse:
    channel = request.GET.get("channel", "")
    language = request.GET.get("language", "")
    rows = template_list(channel=channel if channel in Channel.values else "", language=language[:16])
    return render(request, "communications/template_list.html", {
        "templates": rows, "channels": Channel.choices, "channel": channel, "language": language,
    })


def _preview_customer(request: HttpRequest, raw: str | None):
    if raw:
        return customer_get_for_user(user=request.user, pk=raw)
    return customer_list_visible(user=request.user).filter(documents__isnull=False).order_by("pk").first()


def _preview(request: HttpRequest, template: MessageTemplate, customer, draft: dict[str, str] | None) -> dict:
    if customer is None:
        return {"preview_error": "No customer to preview with: choose one by id."}
    try:
        rendered = template_render_for_customer(template=template, customer=customer, as_of=today(),
                                                **(draft or {}))
    except TemplateRenderError as exc:
        return {"preview_error": str(exc), "preview_customer": customer}
    return {"rendered": rendered, "preview_customer": customer}


@login_required
@require_http_methods(["GET", "POST"])
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(MessageTemplate, pk=pk)
    may_edit = _may_edit_templates(request.user)
    error = None
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        try:
            saved = template_update(template=template, subject=request.POST.get("subject", ""),
                                    html_body=request.POST.get("html_body", ""),
                                    text_body=request.POST.get("text_body", ""), actor=request.user)
        except TemplateInvalid as exc:
            error = exc
        else:
            if saved.pk != template.pk:
                messages.success(request, f"Saved as version {saved.version}.")
            return redirect(saved.get_absolute_url())
    customer = _preview_customer(request, request.GET.get("customer"))
    context = {"template": template, "versions": template_versions(template=template), "may_edit": may_edit,
               "error": error, "form": request.POST if error else None,
               **_preview(request, template, customer, None)}
    return render(request, "communications/template_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def template_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The rendered template for a real customer. GET: the saved version; POST (htmx, while editing):
    the draft in the form, nothing saved. htmx requests get the preview fragment only."""
    template = get_object_or_404(MessageTemplate, pk=pk)
    customer = _preview_customer(request, request.POST.get("customer") or request.GET.get("customer"))
    draft = None
    if request.method == "POST":
        draft = {k: request.POST.get(k, "") for k in ("subject", "html_body", "text_body")}
    context = {"template": template, **_preview(request, template, customer, draft)}
    name = "communications/_preview.html" if request.htmx else "communications/template_preview.html"
    return render(request, name, context)


# --- outbox -------------------------------------------------------------------------------------------


@login_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    customer_raw = request.GET.get("customer", "")
    qs = outbox_list_visible(
        user=request.user, status=status if status in MessageStatus.values else "",
        channel=channel if channel in Channel.values else "",
        customer_id=int(customer_raw) if customer_raw.isdigit() else None, q=request.GET.get("q", "")[:100],
        run_reference=request.GET.get("run", "")[:100],
    )
    context = {"page": _page(request, qs), "statuses": MessageStatus.choices, "channels": Channel.choices,
               "status": status, "channel": channel, "customer": customer_raw, "q": request.GET.get("q", "")}
    name = "communications/_outbox_table.html" if request.htmx else "communications/outbox_list.html"
    return render(request, name, context)


@login_required
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = outbox_get_for_user(user=request.user, pk=pk)
    return render(request, "communications/outbox_detail.html", {
        "message": message, "may_act": _may_act(request.user),
        "hits": message.decision.failing_hits if message.decision else [],
    })


@login_required
@require_POST
def outbox_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    if not _may_act(request.user):
        raise PermissionDenied
    message = outbox_get_for_user(user=request.user, pk=pk)
    try:
        outbox_message_resolve(message=message, action=request.POST.get("action", ""), actor=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Message {message.pk}: {message.get_status_display()}.")
    return redirect(message.get_absolute_url())


@login_required
def letter_batch_download(request: HttpRequest, pk: int) -> FileResponse:
    if request.user.role == Role.COLLECTOR and not request.user.is_superuser:
        raise PermissionDenied
    batch = get_object_or_404(LetterBatch, pk=pk)
    path = letter_batch_path(batch)
    if not path.is_file():
        raise Http404("The print file is gone")
    return FileResponse(path.open("rb"), content_type="application/pdf", filename=path.name)


# --- inbound ------------------------------------------------------------------------------------------


@login_required
def inbound_list(request: HttpRequest) -> HttpResponse:
    label = request.GET.get("label", "")
    status = request.GET.get("status", "")
    qs = inbound_list_visible(user=request.user, label=label if label in InboundLabel.values else "",
                              status=status if status in InboundStatus.values else "")
    return render(request, "communications/inbound_list.html", {
        "page": _page(request, qs), "labels": InboundLabel.choices, "statuses": InboundStatus.choices,
        "label": label, "status": status, "may_act": _may_act(request.user),
    })


@login_required
def inbound_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = inbound_get_for_user(user=request.user, pk=pk)
    return render(request, "communications/inbound_detail.html", {
        "message": message, "labels": InboundLabel.choices, "may_act": _may_act(request.user),
    })


@login_required
@require_POST
def inbound_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not _may_act(request.user):
        raise PermissionDenied
    message = inbound_get_for_user(user=request.user, pk=pk)
    label = request.POST.get("label") or None
    try:
        inbound_confirm(message=message, actor=request.user, label=label)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect(message.get_absolute_url())
    if request.htmx:
        return render(request, "communications/_inbound_row.html", {"m": message, "may_act": True})
    messages.success(request, f"Confirmed as {message.get_label_display()}.")
    return redirect(request.POST.get("next") or message.get_absolute_url())


# --- public endpoints (no login): opt-out link, SMS provider webhooks -------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirm button (mail scanners follow links; they must not opt anyone out).
    POST opts out: the button, or a mail client's RFC 8058 one-click POST."""
    if request.method == "GET":
        return render(request, "communications/unsubscribe.html", {"token": token, "done": False})
    try:
        opt_out_by_token(token=token)
    except ValueError as exc:
        return render(request, "communications/unsubscribe.html", {"error": str(exc)}, status=400)
    return render(request, "communications/unsubscribe.html", {"done": True})


def _webhook_authorised(request: HttpRequest) -> bool:
    expected = getattr(settings, "ARREARS_SMS_WEBHOOK_TOKEN", "")
    given = request.headers.get("X-Webhook-Token", "") or request.GET.get("token", "")
    return bool(expected) and hmac.compare_digest(str(expected), str(given))


def _payload(request: HttpRequest) -> dict:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return request.POST.dict()


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> JsonResponse:
    """The provider posts each inbound SMS: {"from": "+1...", "body": "STOP"} (JSON or form)."""
    if not _webhook_authorised(request):
        return JsonResponse({"error": "bad or missing X-Webhook-Token"}, status=403)
    data = _payload(request)
    number, body = str(data.get("from", "")), str(data.get("body", ""))
    if not number:
        return JsonResponse({"error": "from: required"}, status=400)
    return JsonResponse(sms_inbound_process(from_number=number, body=body))


@csrf_exempt
@require_POST
def sms_status(request: HttpRequest) -> JsonResponse:
    """Delivery receipts: {"id": "<provider id>", "status": "delivered"}."""
    if not _webhook_authorised(request):
        return JsonResponse({"error": "bad or missing X-Webhook-Token"}, status=403)
    data = _payload(request)
    if str(data.get("status", "")).lower() != "delivered":
        return JsonResponse({"updated": False})
    message = outbox_mark_delivered(provider_id=str(data.get("id", "")))
    return JsonResponse({"updated": message is not None, "status": message.status if message else None})

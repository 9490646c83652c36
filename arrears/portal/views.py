"""The customer portal's pages, the provider webhook and the staff link actions.

A customer arrives by a link /portal/<token>/; the token is checked (same 404 for unknown, expired,
revoked), the session is bound to that customer and token id, and every later request re-checks that
the token is still live, so revoking a link ends the sessions it opened. Every document read goes
through `portal_document_get` / `portal_documents_pick`, which 404 for another customer's ids.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from arrears.common.clock import today
from arrears.common.money import Money, quantize
from arrears.disputes.errors import DisputeError
from arrears.ledger.models import Customer
from arrears.ledger.selectors import customer_get_for_user
from arrears.portal import conf
from arrears.portal.errors import PortalError
from arrears.portal.forms import (
    DisputeForm,
    MandateForm,
    PayForm,
    PlanForm,
    PreferencesForm,
    PromiseForm,
)
from arrears.portal.models import IntentStatus, PaymentMethod, PortalToken
from arrears.portal.pdf import pdf_render
from arrears.portal.providers import SIGNATURE_HEADER, provider_get
from arrears.portal.ratelimit import client_ip, rate_hit, rate_limited
from arrears.portal.selectors import (
    mandate_list_active,
    payment_settings_for,
    portal_balances,
    portal_contacts,
    portal_document_get,
    portal_documents_pick,
    portal_intent_get,
    portal_intent_list,
    portal_open_documents,
    portal_payment_history,
    portal_token_get,
    portal_token_get_active,
    portal_token_get_for_session,
    portal_token_list_for_customer,
)
from arrears.portal.services.actions import (
    portal_dispute_open,
    portal_plan_request,
    portal_preferences_update,
    portal_promise_create,
    promise_minimum,
)
from arrears.portal.services.payments import (
    bank_transfer_intent_create,
    card_checkout_start,
    direct_debit_intent_create,
    mandate_create,
    webhook_process,
)
from arrears.portal.services.tokens import (
    portal_token_create,
    portal_token_revoke,
    portal_token_touch,
    portal_url,
)
from arrears.promises.errors import PromiseError

SESSION_KEY = "arrears_portal"
ServiceErrors = (PortalError, PromiseError, DisputeError)


def _not_found(request: HttpRequest) -> HttpResponse:
    response = render(request, "portal/not_found.html", status=404)
    add_never_cache_headers(response)
    return response


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "portal/too_many.html", status=429)
    response["Retry-After"] = str(conf.lookup_limit()[1])
    return response


@require_GET
def portal_open(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the message: check the token, bind the session, and leave the token out of the URL."""
    ip = client_ip(request)
    limit, window = conf.lookup_limit()
    if rate_limited(bucket="lookup-fail", ident=ip, limit=limit, window=window):
        return _too_many(request)
    found = portal_token_get_active(raw=token)
    if found is None:
        rate_hit(bucket="lookup-fail", ident=ip, window=window)
        return _not_found(request)
    request.session.cycle_key()  # no session fixation across the login
    request.session[SESSION_KEY] = {"customer": found.customer_id, "token": found.pk}
    portal_token_touch(token=found)
    return redirect("portal:home")


class PortalRequest(HttpRequest):
    portal_customer: Customer
    portal_token: PortalToken


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only with a live portal session; POSTs are rate limited per IP (CSRF is checked by the middleware)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        bound = request.session.get(SESSION_KEY) or {}
        token = None
        if isinstance(bound, dict) and "customer" in bound and "token" in bound:
            token = portal_token_get_for_session(token_id=int(bound["token"]), customer_id=int(bound["customer"]))
        if token is None:
            request.session.pop(SESSION_KEY, None)
            return _not_found(request)
        if request.method == "POST":
            limit, window = conf.post_limit()
            if rate_hit(bucket="post", ident=client_ip(request), window=window) > limit:
                return _too_many(request)
        request.portal_customer = token.customer  # type: ignore[attr-defined]
        request.portal_token = token  # type: ignore[attr-defined]
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" and CSRF refuses the POST.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return wrapped


def _ctx(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    customer = request.portal_customer  # type: ignore[attr-defined]
    return {"customer": customer, "unit": customer.business_unit, "today": today(), **extra}


def _money_text(amount: Any, currency: str) -> str:
    return Money(amount, currency).format("en")


def _doc_label(d: Any) -> str:
    return f"{d.external_id}: {_money_text(d.open_amount, d.currency)}, due {d.due_date.day} {d.due_date:%b %Y}"


def _doc_choices(customer: Customer) -> list[tuple[int, str]]:
    return [(d.pk, _doc_label(d)) for d in portal_open_documents(customer=customer)]


def _form_errors(form: Any, exc: Exception) -> None:
    message = getattr(exc, "message", str(exc))
    field, sep, text = message.partition(": ")
    field = field.split("[")[0].split(".")[0]
    if sep and field in form.fields:
        form.add_error(field, text)
    else:
        form.add_error(None, message)


# ------------------------------------------------------------------------------------------ pages


@portal_view
@require_GET
def portal_home(request: HttpRequest) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    documents = list(portal_open_documents(customer=customer))
    return render(request, "portal/home.html", _ctx(
        request, documents=documents, balances=portal_balances(customer=customer),
        intents=list(portal_intent_list(customer=customer).exclude(status=IntentStatus.CANCELLED)[:5]),
    ))


@portal_view
@require_GET
def portal_history(request: HttpRequest) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    return render(request, "portal/history.html", _ctx(
        request, payments=list(portal_payment_history(customer=customer)[:200]),
        intents=list(portal_intent_list(customer=customer)[:50]),
    ))


@portal_view
@require_GET
def document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    document = portal_document_get(customer=customer, pk=pk)
    pdf = pdf_render("portal/pdf/document.html", _ctx(
        request, document=document, allocations=list(document.allocations.select_related("payment").order_by("date", "id")),
        bank=payment_settings_for(customer=customer),
    ))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.external_id}.pdf"'
    return response


@portal_view
@require_GET
def statement_pdf(request: HttpRequest) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    pdf = pdf_render("portal/pdf/statement.html", _ctx(
        request, documents=list(portal_open_documents(customer=customer)), balances=portal_balances(customer=customer),
        bank=payment_settings_for(customer=customer),
    ))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="statement-{customer.external_id}-{today().isoformat()}.pdf"'
    return response


# ------------------------------------------------------------------------------------------ paying


def _methods(customer: Customer) -> list[tuple[str, str]]:
    bank = payment_settings_for(customer=customer)
    methods = []
    if bank is not None:
        methods.append((PaymentMethod.BANK_TRANSFER.value, PaymentMethod.BANK_TRANSFER.label))
    if provider_get() is not None and (bank is None or bank.card_payments):
        methods.append((PaymentMethod.CARD.value, PaymentMethod.CARD.label))
    if bank is not None and bank.direct_debit and bank.sepa_creditor_id:
        methods.append((PaymentMethod.DIRECT_DEBIT.value, PaymentMethod.DIRECT_DEBIT.label))
    return methods


@portal_view
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    """Choose documents (on the home page) -> choose the method here -> details / checkout / mandate."""
    customer = request.portal_customer  # type: ignore[attr-defined]
    choices = _doc_choices(customer)
    methods = _methods(customer)
    if request.method == "GET":
        ids = [int(i) for i in request.GET.getlist("documents") if i.isdigit()]
        if not ids:
            messages.error(request, "Choose at least one document to pay.")
            return redirect("portal:home")
        form = PayForm(initial={"documents": ids, "idempotency_key": uuid.uuid4().hex,
                                "method": methods[0][0] if methods else ""}, document_choices=choices)
    else:
        form = PayForm(request.POST, document_choices=choices)
        ids = [int(i) for i in request.POST.getlist("documents") if i.isdigit()]
    form.fields["method"].choices = methods
    documents = portal_documents_pick(customer=customer, ids=ids) if ids else []
    if request.method == "POST" and form.is_valid():
        documents = portal_documents_pick(customer=customer, ids=form.cleaned_data["documents"])
        method, key = form.cleaned_data["method"], form.cleaned_data["idempotency_key"]
        try:
            if method == PaymentMethod.BANK_TRANSFER:
                intent = bank_transfer_intent_create(customer=customer, documents=documents, idempotency_key=key)
                return redirect("portal:intent", pk=intent.pk)
            if method == PaymentMethod.CARD:
                intent = card_checkout_start(
                    customer=customer, documents=documents, idempotency_key=key, provider=provider_get(),
                    success_url=request.build_absolute_uri(reverse("portal:history")),
                    cancel_url=request.build_absolute_uri(reverse("portal:home")),
                )
                if intent.checkout_url and intent.status == IntentStatus.PENDING:
                    return HttpResponseRedirect(intent.checkout_url)
                return redirect("portal:intent", pk=intent.pk)
            query = "&".join(f"documents={d.pk}" for d in documents)
            return redirect(f"{reverse('portal:mandate')}?{query}")
        except ServiceErrors as exc:
            _form_errors(form, exc)
    total = sum((d.open_amount for d in documents), start=0)
    currencies = sorted({d.currency for d in documents})
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/pay.html", _ctx(
        request, form=form, documents=documents, total=total, currency=currencies[0] if len(currencies) == 1 else "",
        methods=methods,
    ), status=status)


@portal_view
@require_http_methods(["GET", "POST"])
def mandate(request: HttpRequest) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    choices = _doc_choices(customer)
    source = request.POST if request.method == "POST" else request.GET
    ids = [int(i) for i in source.getlist("documents") if i.isdigit()]
    documents = portal_documents_pick(customer=customer, ids=ids) if ids else []
    if not documents:
        messages.error(request, "Choose the documents to pay first.")
        return redirect("portal:home")
    if request.method == "POST":
        form = MandateForm(request.POST, document_choices=choices)
        if form.is_valid():
            try:
                with transaction.atomic():
                    signed = mandate_create(
                        customer=customer, debtor_name=form.cleaned_data["debtor_name"], iban=form.cleaned_data["iban"],
                        bic=form.cleaned_data["bic"], collect_when_due=form.cleaned_data["collect_when_due"],
                    )
                    intent = direct_debit_intent_create(
                        customer=customer, documents=documents, mandate=signed,
                        idempotency_key=form.cleaned_data["idempotency_key"],
                    )
                return redirect("portal:intent", pk=intent.pk)
            except ServiceErrors as exc:
                _form_errors(form, exc)
    else:
        form = MandateForm(initial={"documents": ids, "debtor_name": customer.name, "idempotency_key": uuid.uuid4().hex},
                           document_choices=choices)
    return render(request, "portal/mandate.html", _ctx(
        request, form=form, documents=documents, total=sum((d.open_amount for d in documents), start=0),
        currency=documents[0].currency, bank=payment_settings_for(customer=customer),
        mandates=list(mandate_list_active(customer=customer)),
    ), status=400 if request.method == "POST" else 200)


@portal_view
@require_GET
def intent_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    intent = portal_intent_get(customer=customer, pk=pk)
    return render(request, "portal/intent.html", _ctx(
        request, intent=intent, bank=payment_settings_for(customer=customer),
        lines=list(intent.lines.all()),
    ))


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Signed provider events. 400 for a bad signature, an old timestamp or a malformed event (nothing
    changes); 200 for everything accepted, including duplicates, so the provider stops retrying."""
    adapter = provider_get()
    if adapter is None or adapter.name != provider:
        raise Http404("No such provider")
    try:
        result = webhook_process(
            provider=adapter, body=request.body, signature_header=request.headers.get(SIGNATURE_HEADER, "")
        )
    except PortalError as exc:
        return JsonResponse({"code": exc.code.value, "detail": exc.message}, status=400)
    return JsonResponse({"status": result.outcome, "intent": result.intent_id, "payment": result.payment_id})


# ------------------------------------------------------------------------------------------ actions


@portal_view
@require_http_methods(["GET", "POST"])
def promise(request: HttpRequest) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    open_docs = list(portal_open_documents(customer=customer))
    choices = [(d.pk, _doc_label(d)) for d in open_docs]
    currencies = sorted({d.currency for d in open_docs}) or [customer.business_unit.home_currency]
    policy = conf.promise_policy()
    if request.method == "POST":
        form = PromiseForm(request.POST, document_choices=choices, currencies=currencies)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = portal_promise_create(
                    customer=customer, amount=data["amount"], currency=data["currency"],
                    promised_date=data["promised_date"], note=data["note"],
                    documents=portal_documents_pick(customer=customer, ids=data["documents"]) if data["documents"] else [],
                )
                messages.success(
                    request, f"Thank you. We noted your promise to pay {made.amount} {made.currency} by {made.promised_date:%d %B %Y}."
                )
                return redirect("portal:home")
            except ServiceErrors as exc:
                _form_errors(form, exc)
    else:
        preselect = [int(i) for i in request.GET.getlist("document") if i.isdigit()]
        picked = portal_documents_pick(customer=customer, ids=preselect) if preselect else []
        amount = quantize(sum((d.open_amount for d in picked), start=Decimal(0)), picked[0].currency) if picked else None
        form = PromiseForm(initial={"documents": preselect, "amount": amount,
                                    "currency": picked[0].currency if picked else currencies[0]},
                           document_choices=choices, currencies=currencies)
    minimums = [_money_text(promise_minimum(balance=b, currency=c), c) for c, b in portal_balances(customer=customer)]
    return render(request, "portal/promise.html", _ctx(
        request, form=form, policy=policy, minimums=minimums,
        latest=today() + dt.timedelta(days=policy.max_days),
    ), status=400 if request.method == "POST" else 200)


@portal_view
@require_http_methods(["GET", "POST"])
def dispute(request: HttpRequest, pk: int) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    document = portal_document_get(customer=customer, pk=pk)
    if request.method == "POST":
        form = DisputeForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                opened = portal_dispute_open(
                    customer=customer, document=document, reason=form.cleaned_data["reason"],
                    comment=form.cleaned_data["comment"], upload=form.cleaned_data.get("attachment"),
                )
                messages.success(
                    request, f"Your dispute about {document.external_id} is registered (number {opened.pk}). "
                    f"We will answer by {opened.due_date:%d %B %Y}.",
                )
                return redirect("portal:home")
            except ServiceErrors as exc:
                message = getattr(exc, "message", str(exc))
                if message.startswith("file:"):
                    form.add_error("attachment", message.removeprefix("file:").strip())
                else:
                    _form_errors(form, exc)
    else:
        form = DisputeForm()
    return render(request, "portal/dispute.html", _ctx(request, form=form, document=document),
                  status=400 if request.method == "POST" else 200)


@portal_view
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    policy = conf.plan_policy()
    open_docs = list(portal_open_documents(customer=customer))
    choices = [(d.pk, _doc_label(d)) for d in open_docs]
    if request.method == "POST":
        form = PlanForm(request.POST, document_choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                requested = portal_plan_request(
                    customer=customer, documents=portal_documents_pick(customer=customer, ids=data["documents"]),
                    instalment_count=data["instalment_count"], first_due_date=data["first_due_date"],
                    frequency=data["frequency"], note=data["note"],
                )
                messages.success(
                    request, f"Your request for {data['instalment_count']} instalments of "
                    f"{requested.total} {requested.currency} in total was sent; we will confirm it.",
                )
                return redirect("portal:home")
            except ServiceErrors as exc:
                _form_errors(form, exc)
    else:
        form = PlanForm(initial={"documents": [d.pk for d in open_docs], "instalment_count": min(3, policy.max_instalments),
                                 "first_due_date": today() + dt.timedelta(days=14)}, document_choices=choices)
    return render(request, "portal/plan.html", _ctx(
        request, form=form, policy=policy, latest=today() + dt.timedelta(days=policy.max_first_due_days),
    ), status=400 if request.method == "POST" else 200)


@portal_view
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    contacts = list(portal_contacts(customer=customer))
    opted = sorted({c.channel for contact in contacts for c in contact.consents.all() if c.status == "opted_out"})
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                portal_preferences_update(
                    customer=customer, preferred_channel=form.cleaned_data["preferred_channel"],
                    opted_out=form.cleaned_data["opted_out"],
                )
                messages.success(request, "Your contact preferences are saved.")
                return redirect("portal:preferences")
            except ServiceErrors as exc:
                _form_errors(form, exc)
    else:
        form = PreferencesForm(initial={"preferred_channel": customer.preferred_channel, "opted_out": opted})
    return render(request, "portal/preferences.html", _ctx(request, form=form, contacts=contacts),
                  status=400 if request.method == "POST" else 200)


@portal_view
@require_POST
def portal_exit(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return render(request, "portal/signed_out.html")


# ------------------------------------------------------------------------------------------ staff


@login_required
@require_http_methods(["GET", "POST"])
def staff_links(request: HttpRequest, pk: int) -> HttpResponse:
    """A collector makes a portal link for a customer (shown once) and sees and revokes the live ones."""
    customer = customer_get_for_user(user=request.user, pk=pk)
    new_link = ""
    if request.method == "POST":
        if getattr(request.user, "is_read_only", False):
            raise PermissionDenied("read-only users cannot make portal links")
        _token, raw = portal_token_create(customer=customer, created_by=request.user)
        new_link = portal_url(raw)
    return render(request, "portal/staff_links.html", {
        "customer": customer, "new_link": new_link,
        "tokens": list(portal_token_list_for_customer(customer=customer)[:50]),
    })


@login_required
@require_POST
def staff_link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = portal_token_get(pk=pk)
    customer = customer_get_for_user(user=request.user, pk=token.customer_id)
    if getattr(request.user, "is_read_only", False):
        raise PermissionDenied("read-only users cannot revoke portal links")
    portal_token_revoke(token=token, reason=request.POST.get("reason", "revoked by staff"), by=request.user)
    messages.success(request, "The link is revoked; sessions opened with it end now.")
    return redirect("portal:staff_links", pk=customer.pk)

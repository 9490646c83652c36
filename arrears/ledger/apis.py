"""The ledger REST API: parse the input, call one service or selector, render the output.

Every queryset starts at a permission gate in `ledger.selectors` (contacts and allocations through
their customer or document), so a collector gets 404 for what is not theirs. Auditors read
everything and write nothing. Business rules live in `ledger.services` and
`ledger.services_customers`; these classes hold none.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.fields import get_error_detail
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler

from arrears.audit.context import acting_as
from arrears.common.clock import today
from arrears.common.money import MoneyError
from arrears.ledger import filters
from arrears.ledger import serializers as s
from arrears.ledger.errors import LedgerError
from arrears.ledger.models import (
    Allocation,
    BusinessUnit,
    Channel,
    ChannelConsent,
    Contact,
    Customer,
    Document,
    Payment,
)
from arrears.ledger.selectors import (
    customer_get_for_user,
    customer_list_visible,
    document_list_visible,
    payment_list_visible,
)
from arrears.ledger.services import customer_update, document_write_off, payment_allocate, payment_create
from arrears.ledger.services_customers import (
    consent_set,
    contact_create,
    contact_update,
    customer_create,
    document_create,
)
from arrears.users.models import Role

# ---------------------------------------------------------------- plumbing: errors, permissions, ordering


def _flatten(errors: Any, prefix: str = "") -> list[str]:
    """{"allocations": [{}, {"amount": ["bad"]}]} -> ["allocations[1].amount: bad"]."""
    if isinstance(errors, dict):
        out = []
        for key, value in errors.items():
            name = "" if key == "non_field_errors" else str(key)
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
        return out
    if isinstance(errors, list):
        if all(not isinstance(e, dict | list) for e in errors):
            return [f"{prefix}: {e}" if prefix else str(e) for e in errors]
        out = []
        for i, value in enumerate(errors):
            out += _flatten(value, f"{prefix}[{i}]")
        return out
    return [f"{prefix}: {errors}" if prefix else str(errors)]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error is {"code": ..., "detail": ...}; validation errors add "fields", keyed by field name.

    A ledger rule broken (LedgerError) is a 400 carrying the rule's code, e.g. allocation_exceeds_payment.
    """
    if isinstance(exc, LedgerError):
        return Response({"code": str(exc.code), "detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=get_error_detail(DjangoValidationError(detail)))
    elif isinstance(exc, MoneyError):
        exc = exceptions.ValidationError(detail={"non_field_errors": [str(exc)]})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        fields = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        messages = _flatten(fields)
        response.data = {"code": "invalid", "detail": "; ".join(messages) or "invalid input", "fields": fields}
    else:
        codes = exc.get_codes()
        response.data = {"code": codes if isinstance(codes, str) else "error", "detail": str(exc.detail)}
    return response


class IsWriterOrReadOnly(BasePermission):
    """Any signed-in user may read (the gates then narrow what); auditors may never write."""

    message = "your role is read-only"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or not user.is_read_only


class CanWriteOff(BasePermission):
    message = "only a head of collections, an administrator or a team lead may write off"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and not user.is_read_only
            and (user.is_superuser or user.role in {Role.ADMIN, Role.HEAD, Role.LEAD})
        )


class StableOrderingFilter(OrderingFilter):
    """?ordering=amount,-due_date; the id breaks ties so pages never overlap or skip rows."""

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> list[str] | None:
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not any(o.lstrip("-") in {"id", "pk"} for o in ordering):
            ordering = [*ordering, "id"]
        return ordering


class LedgerApi(generics.GenericAPIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]  # token first: anonymous -> 401
    permission_classes = [IsWriterOrReadOnly]
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]

    def get_exception_handler(self) -> Any:
        return api_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # Token-authenticated requests are invisible to the audit middleware: attribute writes here.
        self._acting = acting_as(request.user)
        self._acting.__enter__()

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().finalize_response(request, response, *args, **kwargs)
        finally:
            acting = getattr(self, "_acting", None)
            if acting is not None:
                self._acting = None
                acting.__exit__(None, None, None)

    @property
    def schema_only(self) -> bool:
        return getattr(self, "swagger_fake_view", False)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "as_of": today()}


def _input(serializer_class: type, view: LedgerApi, **kwargs: Any) -> Any:
    serializer = serializer_class(context=view.get_serializer_context(), **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _customer_path(name: str = "customer_id") -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description="customer id")


# ---------------------------------------------------------------- business units


class BusinessUnitListApi(LedgerApi, generics.ListAPIView):
    queryset = BusinessUnit.objects.all()
    serializer_class = s.BusinessUnitOutputSerializer
    filterset_class = filters.BusinessUnitFilter
    ordering_fields = ["code", "name", "country"]
    ordering = ["code"]


# ---------------------------------------------------------------- customers


class CustomerListCreateApi(LedgerApi, generics.ListAPIView):
    serializer_class = s.CustomerOutputSerializer
    filterset_class = filters.CustomerFilter
    ordering_fields = ["name", "external_id", "created_at", "updated_at"]
    ordering = ["name", "id"]

    def get_queryset(self) -> QuerySet[Customer]:
        if self.schema_only:
            return Customer.objects.none()
        return customer_list_visible(user=self.request.user).select_related("business_unit", "collector")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        # One grouped query for the whole page, whatever its size: no query per customer.
        balances = filters.customer_open_balances(customer_ids=[c.pk for c in rows], as_of=today())
        context = {**self.get_serializer_context(), "balances": balances}
        data = s.CustomerOutputSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(request=s.CustomerCreateInputSerializer, responses={201: s.CustomerOutputSerializer})
    def post(self, request: Request) -> Response:
        customer = customer_create(**_input(s.CustomerCreateInputSerializer, self, data=request.data))
        return Response(_customer_out(self, customer), status=status.HTTP_201_CREATED)


def _customer_out(view: LedgerApi, customer: Customer) -> dict[str, Any]:
    balances = filters.customer_open_balances(customer_ids=[customer.pk], as_of=today())
    context = {**view.get_serializer_context(), "balances": balances}
    return s.CustomerOutputSerializer(customer, context=context).data


class CustomerDetailApi(LedgerApi):
    serializer_class = s.CustomerOutputSerializer

    def get_queryset(self) -> QuerySet[Customer]:
        if self.schema_only:
            return Customer.objects.none()
        return customer_list_visible(user=self.request.user)

    def get_object(self) -> Customer:
        return customer_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def get(self, request: Request, pk: int) -> Response:
        return Response(_customer_out(self, self.get_object()))

    @extend_schema(request=s.CustomerUpdateInputSerializer, responses=s.CustomerOutputSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        customer = self.get_object()
        data = _input(s.CustomerUpdateInputSerializer, self, instance=customer, data=request.data, partial=True)
        changes = {key: value for key, value in data.items() if key not in {"collector", "parent"}}
        for relation in ("collector", "parent"):
            if relation in data:
                changes[f"{relation}_id"] = data[relation].pk if data[relation] is not None else None
        customer = customer_update(customer=customer, **changes)
        return Response(_customer_out(self, customer_get_for_user(user=request.user, pk=customer.pk)))


# ---------------------------------------------------------------- contacts and consents


class _ContactApi(LedgerApi):
    serializer_class = s.ContactOutputSerializer
    filterset_class = filters.ContactFilter
    ordering_fields = ["name", "created_at"]
    ordering = ["-is_primary", "name", "id"]

    def get_customer(self) -> Customer:
        return customer_get_for_user(user=self.request.user, pk=self.kwargs["customer_id"])

    def get_queryset(self) -> QuerySet[Contact]:
        if self.schema_only:
            return Contact.objects.none()
        return Contact.objects.filter(customer=self.get_customer()).prefetch_related("consents")

    def get_object(self) -> Contact:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])


@extend_schema(parameters=[_customer_path()])
class ContactListCreateApi(_ContactApi, generics.ListAPIView):
    @extend_schema(request=s.ContactInputSerializer, responses={201: s.ContactOutputSerializer})
    def post(self, request: Request, customer_id: int) -> Response:
        customer = self.get_customer()
        contact = contact_create(customer=customer, **_input(s.ContactInputSerializer, self, data=request.data))
        return Response(s.ContactOutputSerializer(contact).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[_customer_path()])
class ContactDetailApi(_ContactApi):
    def get(self, request: Request, customer_id: int, pk: int) -> Response:
        return Response(s.ContactOutputSerializer(self.get_object()).data)

    @extend_schema(request=s.ContactInputSerializer, responses=s.ContactOutputSerializer)
    def patch(self, request: Request, customer_id: int, pk: int) -> Response:
        contact = self.get_object()
        changes = _input(s.ContactInputSerializer, self, instance=contact, data=request.data, partial=True)
        contact = contact_update(contact=contact, **changes)
        return Response(s.ContactOutputSerializer(self.get_object()).data)


_contact_params = [_customer_path(), OpenApiParameter("contact_id", OpenApiTypes.INT, OpenApiParameter.PATH)]
_channel_param = OpenApiParameter("channel", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Channel.values)


class _ConsentApi(LedgerApi):
    serializer_class = s.ConsentOutputSerializer
    pagination_class = None
    filter_backends: list[type] = []

    def get_contact(self) -> Contact:
        customer = customer_get_for_user(user=self.request.user, pk=self.kwargs["customer_id"])
        return get_object_or_404(Contact.objects.prefetch_related("consents"), customer=customer, pk=self.kwargs["contact_id"])

    def get_queryset(self) -> QuerySet[ChannelConsent]:
        if self.schema_only:
            return ChannelConsent.objects.none()
        return ChannelConsent.objects.filter(contact=self.get_contact())

    def consent(self, contact: Contact) -> ChannelConsent:
        channel = self.kwargs["channel"]
        if channel not in Channel.values:
            raise Http404(f"no channel {channel!r} (one of {', '.join(Channel.values)})")
        return next(c for c in s.consents_for(contact) if c.channel == channel)


@extend_schema(parameters=_contact_params)
class ConsentListApi(_ConsentApi):
    @extend_schema(responses=s.ConsentOutputSerializer(many=True))
    def get(self, request: Request, customer_id: int, contact_id: int) -> Response:
        return Response(s.ConsentOutputSerializer(s.consents_for(self.get_contact()), many=True).data)


@extend_schema(parameters=[*_contact_params, _channel_param])
class ConsentDetailApi(_ConsentApi):
    def get(self, request: Request, customer_id: int, contact_id: int, channel: str) -> Response:
        return Response(s.ConsentOutputSerializer(self.consent(self.get_contact())).data)

    @extend_schema(request=s.ConsentInputSerializer, responses=s.ConsentOutputSerializer)
    def put(self, request: Request, customer_id: int, contact_id: int, channel: str) -> Response:
        contact = self.get_contact()
        self.consent(contact)  # 404 for an unknown channel
        consent = consent_set(
            contact=contact, channel=channel, **_input(s.ConsentInputSerializer, self, data=request.data)
        )
        return Response(s.ConsentOutputSerializer(consent).data)


# ---------------------------------------------------------------- documents


class _DocumentApi(LedgerApi):
    serializer_class = s.DocumentOutputSerializer

    def get_queryset(self) -> QuerySet[Document]:
        if self.schema_only:
            return Document.objects.none()
        return document_list_visible(user=self.request.user).select_related("business_unit", "customer")


class DocumentListCreateApi(_DocumentApi, generics.ListAPIView):
    filterset_class = filters.DocumentFilter
    ordering_fields = ["due_date", "issue_date", "amount", "open_amount", "external_id", "created_at"]
    ordering = ["due_date", "id"]

    @extend_schema(request=s.DocumentCreateInputSerializer, responses={201: s.DocumentOutputSerializer})
    def post(self, request: Request) -> Response:
        document = document_create(**_input(s.DocumentCreateInputSerializer, self, data=request.data))
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)


class DocumentDetailApi(_DocumentApi, generics.RetrieveAPIView):
    pass


class DocumentWriteOffApi(_DocumentApi):
    """Write off what is left open on a debit document (or part of it). Heads, admins and leads only."""

    permission_classes = [IsWriterOrReadOnly, CanWriteOff]

    @extend_schema(request=s.WriteOffInputSerializer, responses={201: s.WriteOffOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        document = self.get_object()
        data = _input(s.WriteOffInputSerializer, self, data=request.data)
        amount = data.get("amount")
        if amount is not None:
            amount = s.amount_in(amount, document.currency, "amount")
        write_off = document_write_off(
            document=document, amount=amount, date=data["date"], reason=data["reason"], approved_by=request.user
        )
        write_off.document = self.get_queryset().get(pk=document.pk)
        context = self.get_serializer_context()
        return Response(s.WriteOffOutputSerializer(write_off, context=context).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- payments and allocations


class _PaymentApi(LedgerApi):
    serializer_class = s.PaymentOutputSerializer

    def get_queryset(self) -> QuerySet[Payment]:
        if self.schema_only:
            return Payment.objects.none()
        return payment_list_visible(user=self.request.user).select_related("business_unit")


class PaymentListCreateApi(_PaymentApi, generics.ListAPIView):
    filterset_class = filters.PaymentFilter
    ordering_fields = ["received_date", "amount", "unapplied_amount", "external_id", "created_at"]
    ordering = ["-received_date", "-id"]

    @extend_schema(request=s.PaymentCreateInputSerializer, responses={201: s.PaymentOutputSerializer})
    def post(self, request: Request) -> Response:
        data = _input(s.PaymentCreateInputSerializer, self, data=request.data)
        payment = payment_create(business_unit=data["customer"].business_unit, **data)
        return Response(self.get_serializer(payment).data, status=status.HTTP_201_CREATED)


class PaymentDetailApi(_PaymentApi, generics.RetrieveAPIView):
    pass


class PaymentAllocateApi(_PaymentApi):
    """Apply a payment: {"auto": true} (oldest due first) or explicit {"allocations": [...]}."""

    @extend_schema(request=s.PaymentAllocateInputSerializer, responses=s.PaymentAllocateOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        payment = self.get_object()
        serializer = s.PaymentAllocateInputSerializer(
            data=request.data, context={**self.get_serializer_context(), "payment": payment}
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lines = None if data.get("auto") else [(line["document"], line["amount"]) for line in data["allocations"]]
        allocations = payment_allocate(payment=payment, allocations=lines, date=data.get("date"))
        payment.refresh_from_db()
        out = s.PaymentAllocateOutputSerializer({"payment": payment, "allocations": allocations})
        return Response(out.data)


class _AllocationApi(LedgerApi):
    serializer_class = s.AllocationOutputSerializer

    def get_queryset(self) -> QuerySet[Allocation]:
        if self.schema_only:
            return Allocation.objects.none()
        return Allocation.objects.filter(document__in=document_list_visible(user=self.request.user))


class AllocationListApi(_AllocationApi, generics.ListAPIView):
    filterset_class = filters.AllocationFilter
    ordering_fields = ["date", "amount", "created_at"]
    ordering = ["date", "id"]


class AllocationDetailApi(_AllocationApi, generics.RetrieveAPIView):
    pass

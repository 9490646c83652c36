"""REST API for promises to pay and payment plans: parse, call one service or selector, render.

Every queryset starts at the gates in `promises.selectors` (through `ledger.selectors.customer_list_visible`),
so a collector gets 404 for another collector's customer; auditors read and never write (403).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from arrears.common.clock import today
from arrears.ledger.apis import LedgerApi, api_exception_handler
from arrears.ledger.models import Customer, Document
from arrears.ledger.selectors import customer_get_for_user, document_list_visible
from arrears.ledger.serializers import EnumChoiceField
from arrears.promises.errors import FORBIDDEN_CODES, PromiseError
from arrears.promises.models import (
    Instalment,
    InstalmentStatus,
    PaymentPlan,
    PlanFrequency,
    PlanStatus,
    Promise,
    PromiseChannel,
    PromiseStatus,
    ScheduleKind,
)
from arrears.promises.selectors import plan_list_visible, promise_list_visible
from arrears.promises.services import (
    plan_approve,
    plan_cancel,
    plan_create,
    plan_submit,
    promise_cancel,
    promise_create,
)

MONEY = {"max_digits": 20, "decimal_places": 3}


def promises_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """A broken promise or plan rule is a 400 with its code (403 for "you may not"); the rest as the ledger's."""
    if isinstance(exc, PromiseError):
        code = status.HTTP_403_FORBIDDEN if exc.code in FORBIDDEN_CODES else status.HTTP_400_BAD_REQUEST
        return Response({"code": str(exc.code), "detail": exc.message}, status=code)
    return api_exception_handler(exc, context)


class PromisesApi(LedgerApi):
    def get_exception_handler(self) -> Any:
        return promises_exception_handler


def _customer(request: Request, pk: int) -> Customer:
    return customer_get_for_user(user=request.user, pk=pk)


def _documents(request: Request, ids: list[int]) -> list[Document]:
    """Documents this user may see; an id they may not see is reported exactly like one that does not exist."""
    docs = list(document_list_visible(user=request.user).filter(pk__in=ids))
    missing = sorted(set(ids) - {d.pk for d in docs})
    if missing:
        raise serializers.ValidationError({"documents": [f"no such document: {', '.join(map(str, missing))}"]})
    return docs


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# ---------------------------------------------------------------- promises


class PromiseOutputSerializer(serializers.ModelSerializer):
    channel = EnumChoiceField(PromiseChannel, read_only=True)
    status = EnumChoiceField(PromiseStatus, read_only=True)

    class Meta:
        model = Promise
        fields = [
            "id", "customer", "amount", "currency", "made_on", "promised_date", "grace_days", "deadline",
            "documents", "channel", "status", "paid_amount", "late_paid_amount", "decided_on", "created_by",
            "note", "created_at",
        ]
        read_only_fields = fields


class PromiseCreateInputSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField(max_length=3)
    promised_date = serializers.DateField()
    documents = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    channel = EnumChoiceField(PromiseChannel, default=PromiseChannel.PHONE)
    grace_days = serializers.IntegerField(min_value=0, max_value=90, required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PromiseCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class _PromiseApi(PromisesApi):
    serializer_class = PromiseOutputSerializer

    def get_queryset(self) -> QuerySet[Promise]:
        if self.schema_only:
            return Promise.objects.none()
        return promise_list_visible(user=self.request.user).prefetch_related("documents")

    def get_object(self) -> Promise:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])


class PromiseListCreateApi(_PromiseApi, generics.ListAPIView):
    filterset_fields = ["customer", "status", "channel"]
    ordering_fields = ["promised_date", "amount", "created_at"]
    ordering = ["promised_date", "id"]

    @extend_schema(request=PromiseCreateInputSerializer, responses={201: PromiseOutputSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(PromiseCreateInputSerializer, request.data)
        customer = _customer(request, data.pop("customer"))
        documents = _documents(request, data.pop("documents"))
        promise = promise_create(customer=customer, documents=documents, created_by=request.user, **data)
        return Response(PromiseOutputSerializer(self.get_queryset().get(pk=promise.pk)).data, status=status.HTTP_201_CREATED)


class PromiseDetailApi(_PromiseApi):
    def get(self, request: Request, pk: int) -> Response:
        return Response(PromiseOutputSerializer(self.get_object()).data)


class PromiseCancelApi(_PromiseApi):
    @extend_schema(request=PromiseCancelInputSerializer, responses=PromiseOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        promise = self.get_object()
        data = _valid(PromiseCancelInputSerializer, request.data)
        promise_cancel(promise=promise, on=today(), reason=data["reason"])
        return Response(PromiseOutputSerializer(self.get_object()).data)


# ---------------------------------------------------------------- payment plans


class InstalmentOutputSerializer(serializers.ModelSerializer):
    status = EnumChoiceField(InstalmentStatus, read_only=True)

    class Meta:
        model = Instalment
        fields = ["sequence", "due_date", "amount", "paid_amount", "status", "paid_on", "missed_on"]
        read_only_fields = fields


class PlanOutputSerializer(serializers.ModelSerializer):
    instalments = InstalmentOutputSerializer(many=True, read_only=True)
    status = EnumChoiceField(PlanStatus, read_only=True)
    schedule_kind = EnumChoiceField(ScheduleKind, read_only=True)
    frequency = serializers.CharField(read_only=True, help_text="weekly, biweekly or monthly; blank for a custom schedule")

    class Meta:
        model = PaymentPlan
        fields = [
            "id", "customer", "currency", "documents", "charge_document", "principal", "fee", "interest", "total",
            "schedule_kind", "frequency", "made_on", "status", "created_by", "approved_by", "approved_at",
            "paid_amount", "completed_on", "defaulted_on", "note", "instalments", "created_at",
        ]
        read_only_fields = fields


class ScheduleRowInputSerializer(serializers.Serializer):
    due_date = serializers.DateField()
    amount = serializers.DecimalField(**MONEY)


class PlanCreateInputSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    documents = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    schedule_kind = EnumChoiceField(ScheduleKind, default=ScheduleKind.EQUAL)
    frequency = EnumChoiceField(PlanFrequency, default=PlanFrequency.MONTHLY)
    first_due_date = serializers.DateField(required=False, allow_null=True, default=None)
    instalment_count = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    schedule = ScheduleRowInputSerializer(many=True, required=False, default=list)
    fee = serializers.DecimalField(**MONEY, required=False, default="0")
    interest = serializers.DecimalField(**MONEY, required=False, default="0")
    submit = serializers.BooleanField(required=False, default=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PlanCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class _PlanApi(PromisesApi):
    serializer_class = PlanOutputSerializer

    def get_queryset(self) -> QuerySet[PaymentPlan]:
        if self.schema_only:
            return PaymentPlan.objects.none()
        return plan_list_visible(user=self.request.user).prefetch_related("documents")

    def get_object(self) -> PaymentPlan:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def out(self, plan: PaymentPlan) -> dict[str, Any]:
        return PlanOutputSerializer(self.get_queryset().get(pk=plan.pk)).data


class PlanListCreateApi(_PlanApi, generics.ListAPIView):
    filterset_fields = ["customer", "status"]
    ordering_fields = ["made_on", "total", "created_at"]
    ordering = ["-made_on", "-id"]

    @extend_schema(request=PlanCreateInputSerializer, responses={201: PlanOutputSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(PlanCreateInputSerializer, request.data)
        customer = _customer(request, data.pop("customer"))
        documents = _documents(request, data.pop("documents"))
        data["schedule"] = [(row["due_date"], row["amount"]) for row in data["schedule"]]
        plan = plan_create(customer=customer, documents=documents, created_by=request.user, **data)
        return Response(self.out(plan), status=status.HTTP_201_CREATED)


class PlanDetailApi(_PlanApi):
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.out(self.get_object()))


class PlanSubmitApi(_PlanApi):
    @extend_schema(request=None, responses=PlanOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return Response(self.out(plan_submit(plan=self.get_object(), by=request.user)))


class PlanApproveApi(_PlanApi):
    @extend_schema(request=None, responses=PlanOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return Response(self.out(plan_approve(plan=self.get_object(), by=request.user)))


class PlanCancelApi(_PlanApi):
    @extend_schema(request=PlanCancelInputSerializer, responses=PlanOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(PlanCancelInputSerializer, request.data)
        return Response(self.out(plan_cancel(plan=self.get_object(), reason=data["reason"])))

"""REST API for worklist items, call logs, follow-ups, targets (with progress) and notes.

Every queryset starts at a gate: worklist items through `worklist_item_list_visible`, calls, notes and
follow-ups through the ledger's customer gate, targets through `target_list_visible`. Another
collector's customer is a 404; auditors read and never write (403). A call the compliance gate
refuses is a 409 naming the rules; nothing is logged.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from arrears.common.clock import today
from arrears.compliance.errors import ComplianceBlocked, ComplianceError
from arrears.disputes.errors import DisputeError
from arrears.disputes.models import DisputeReason
from arrears.ledger.apis import LedgerApi, api_exception_handler
from arrears.ledger.models import Contact
from arrears.ledger.selectors import customer_get_for_user, customer_list_visible, document_list_visible
from arrears.ledger.serializers import EnumChoiceField
from arrears.promises.errors import PromiseError
from arrears.users.models import Team, User
from arrears.worklist.errors import FORBIDDEN_CODES, WorklistError
from arrears.worklist.models import (
    CallLog,
    CallOutcome,
    FollowUp,
    ItemSource,
    ItemStatus,
    Note,
    Target,
    TargetPeriod,
    TargetScope,
    WorklistItem,
)
from arrears.worklist.selectors import (
    target_list_visible,
    target_progress,
    worklist_customer_get,
    worklist_item_list_visible,
)
from arrears.worklist.services import (
    call_log_create,
    follow_up_complete,
    follow_up_create,
    note_create,
    target_set,
)

MONEY = {"max_digits": 20, "decimal_places": 3}


def worklist_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ComplianceBlocked):
        return Response({"code": str(exc.code), "detail": exc.message, "blocking_rules": list(exc.decision.blocking_rules)},
                        status=status.HTTP_409_CONFLICT)
    if isinstance(exc, WorklistError):
        code = status.HTTP_403_FORBIDDEN if exc.code in FORBIDDEN_CODES else status.HTTP_400_BAD_REQUEST
        return Response({"code": str(exc.code), "detail": exc.message}, status=code)
    if isinstance(exc, PromiseError | DisputeError | ComplianceError):
        return Response({"code": str(exc.code), "detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    return api_exception_handler(exc, context)


class WorklistApi(LedgerApi):
    def get_exception_handler(self) -> Any:
        return worklist_exception_handler


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# ---------------------------------------------------------------- worklist items


class WorklistItemOutputSerializer(serializers.ModelSerializer):
    source = EnumChoiceField(ItemSource, read_only=True)
    status = EnumChoiceField(ItemStatus, read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = WorklistItem
        fields = [
            "id", "user", "customer", "customer_name", "as_of", "source", "source_id", "status", "reason", "due_date",
            "currency", "amount_at_risk", "days_past_due", "probability", "probability_source", "age_weight", "score",
            "risk_text", "likelihood_text", "done_at", "done_note",
        ]
        read_only_fields = fields


class WorklistItemListApi(WorklistApi, generics.ListAPIView):
    """Worklist items, highest expected value first. Default: your own open items of today."""

    serializer_class = WorklistItemOutputSerializer
    filterset_fields = ["customer", "source", "status", "as_of"]
    ordering_fields = ["score", "due_date", "as_of"]
    ordering = ["-score", "customer_id", "id"]

    def get_queryset(self) -> QuerySet[WorklistItem]:
        if self.schema_only:
            return WorklistItem.objects.none()
        qs = worklist_item_list_visible(user=self.request.user)
        params = self.request.query_params
        if "as_of" not in params:
            qs = qs.filter(as_of=today())
        if "status" not in params:
            qs = qs.filter(status=ItemStatus.OPEN)
        who = params.get("user")
        return qs.filter(user__username=who) if who else qs.filter(user=self.request.user)


# ---------------------------------------------------------------- call logs


class CallLogOutputSerializer(serializers.ModelSerializer):
    outcome = EnumChoiceField(CallOutcome, read_only=True)
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = CallLog
        fields = ["id", "customer", "contact", "user", "at", "outcome", "notes", "follow_up_date", "promise", "dispute", "decision"]
        read_only_fields = fields


class CallDisputeLineInputSerializer(serializers.Serializer):
    document = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)


class CallLogCreateInputSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    outcome = EnumChoiceField(CallOutcome)
    contact = serializers.IntegerField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    follow_up_date = serializers.DateField(required=False, allow_null=True, default=None)
    promise_amount = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)
    promise_currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    promise_date = serializers.DateField(required=False, allow_null=True, default=None)
    promise_documents = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    dispute_reason = EnumChoiceField(DisputeReason, required=False, allow_blank=True, default="")
    dispute_lines = CallDisputeLineInputSerializer(many=True, required=False, default=list)


def _documents(request: Request, ids: list[int]) -> dict[int, Any]:
    docs = {d.pk: d for d in document_list_visible(user=request.user).filter(pk__in=ids)}
    missing = sorted(set(ids) - set(docs))
    if missing:
        raise serializers.ValidationError({"documents": [f"no such document: {', '.join(map(str, missing))}"]})
    return docs


class CallLogListCreateApi(WorklistApi, generics.ListAPIView):
    serializer_class = CallLogOutputSerializer
    filterset_fields = ["customer", "outcome"]
    ordering_fields = ["at"]
    ordering = ["-at", "-id"]

    def get_queryset(self) -> QuerySet[CallLog]:
        if self.schema_only:
            return CallLog.objects.none()
        return CallLog.objects.filter(customer__in=customer_list_visible(user=self.request.user)).select_related("user")

    @extend_schema(request=CallLogCreateInputSerializer, responses={201: CallLogOutputSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(CallLogCreateInputSerializer, request.data)
        customer = worklist_customer_get(user=request.user, pk=data.pop("customer"), as_of=today())
        contact_id = data.pop("contact")
        contact = get_object_or_404(Contact, pk=contact_id, customer=customer) if contact_id else None
        docs = _documents(request, [*data["promise_documents"], *(line["document"] for line in data["dispute_lines"])])
        data["promise_documents"] = [docs[pk] for pk in data["promise_documents"]]
        data["dispute_documents"] = [(docs[line["document"]], line["amount"]) for line in data.pop("dispute_lines")]
        log = call_log_create(customer=customer, user=request.user, contact=contact, **data)
        return Response(CallLogOutputSerializer(log).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- follow-ups


class FollowUpOutputSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "customer", "user", "date", "note", "done_at", "call_log", "created_at"]
        read_only_fields = fields


class FollowUpCreateInputSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    date = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class _FollowUpApi(WorklistApi):
    serializer_class = FollowUpOutputSerializer

    def get_queryset(self) -> QuerySet[FollowUp]:
        if self.schema_only:
            return FollowUp.objects.none()
        return FollowUp.objects.filter(customer__in=customer_list_visible(user=self.request.user)).select_related("user")


class FollowUpListCreateApi(_FollowUpApi, generics.ListAPIView):
    filterset_fields = ["customer", "date"]
    ordering_fields = ["date"]
    ordering = ["date", "id"]

    @extend_schema(request=FollowUpCreateInputSerializer, responses={201: FollowUpOutputSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(FollowUpCreateInputSerializer, request.data)
        customer = customer_get_for_user(user=request.user, pk=data.pop("customer"))
        follow_up = follow_up_create(customer=customer, user=request.user, actor=request.user, **data)
        return Response(FollowUpOutputSerializer(follow_up).data, status=status.HTTP_201_CREATED)


class FollowUpCompleteApi(_FollowUpApi):
    @extend_schema(request=None, responses={200: FollowUpOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        follow_up = follow_up_complete(follow_up=get_object_or_404(self.get_queryset(), pk=pk), actor=request.user)
        return Response(FollowUpOutputSerializer(follow_up).data)


# ---------------------------------------------------------------- notes


class NoteOutputSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, default="")

    class Meta:
        model = Note
        fields = ["id", "customer", "author", "body", "created_at"]
        read_only_fields = fields


class NoteCreateInputSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    body = serializers.CharField(max_length=5000)


class NoteListCreateApi(WorklistApi, generics.ListAPIView):
    serializer_class = NoteOutputSerializer
    filterset_fields = ["customer"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Note]:
        if self.schema_only:
            return Note.objects.none()
        return Note.objects.filter(customer__in=customer_list_visible(user=self.request.user)).select_related("author")

    @extend_schema(request=NoteCreateInputSerializer, responses={201: NoteOutputSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(NoteCreateInputSerializer, request.data)
        customer = customer_get_for_user(user=request.user, pk=data["customer"])
        note = note_create(customer=customer, author=request.user, body=data["body"])
        return Response(NoteOutputSerializer(note).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- targets


class TargetProgressSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    collected = serializers.DecimalField(**MONEY)
    percent = serializers.IntegerField()
    by_currency = serializers.DictField(child=serializers.DecimalField(**MONEY))
    missing_rates = serializers.ListField(child=serializers.CharField())


class TargetOutputSerializer(serializers.ModelSerializer):
    scope = EnumChoiceField(TargetScope, read_only=True)
    period = EnumChoiceField(TargetPeriod, read_only=True)
    user = serializers.CharField(source="user.username", read_only=True, default=None)
    team = serializers.CharField(source="team.name", read_only=True, default=None)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Target
        fields = ["id", "scope", "user", "team", "period", "start_date", "amount", "currency", "set_by", "progress"]
        read_only_fields = fields

    @extend_schema_field(TargetProgressSerializer)
    def get_progress(self, target: Target) -> dict[str, Any]:
        p = target_progress(target=target, as_of=self.context.get("as_of") or today())
        return {
            "start": p.start.isoformat(), "end": p.end.isoformat(), "collected": str(p.collected), "percent": p.percent,
            "by_currency": {c: str(a) for c, a in p.by_currency.items()}, "missing_rates": p.missing_rates,
        }


class TargetSetInputSerializer(serializers.Serializer):
    scope = EnumChoiceField(TargetScope)
    user = serializers.CharField(required=False, allow_null=True, default=None, help_text="username (scope user)")
    team = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="team id (scope team)")
    period = EnumChoiceField(TargetPeriod)
    start_date = serializers.DateField()
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField(max_length=3)


class TargetListCreateApi(WorklistApi, generics.ListAPIView):
    serializer_class = TargetOutputSerializer
    filterset_fields = ["scope", "period", "start_date"]
    ordering = ["-start_date", "id"]

    def get_queryset(self) -> QuerySet[Target]:
        if self.schema_only:
            return Target.objects.none()
        return target_list_visible(user=self.request.user)

    @extend_schema(request=TargetSetInputSerializer, responses={201: TargetOutputSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(TargetSetInputSerializer, request.data)
        username, team_id = data.pop("user"), data.pop("team")
        user = get_object_or_404(User, username=username) if username else None
        team = get_object_or_404(Team, pk=team_id) if team_id else None
        target = target_set(actor=request.user, user=user, team=team, **data)
        return Response(TargetOutputSerializer(target, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)


class TargetDetailApi(WorklistApi):
    serializer_class = TargetOutputSerializer

    def get(self, request: Request, pk: int) -> Response:
        target = get_object_or_404(target_list_visible(user=request.user), pk=pk)
        return Response(TargetOutputSerializer(target, context=self.get_serializer_context()).data)


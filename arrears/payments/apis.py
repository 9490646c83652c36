"""REST API for bank statements and cash application, mounted at /api/ (see api_urls.py).

Reading statements and lines: administrators, the head of collections, team leads and auditors.
Uploading and matching: administrators, heads and leads (auditors never write; collectors neither,
see docs/cash-application.md). A lead can match only to customers of their team: the customer is
looked up through the ledger gate, so another team's customer is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from arrears.ledger.apis import LedgerApi, api_exception_handler
from arrears.ledger.selectors import customer_get_for_user, document_list_visible
from arrears.ledger.serializers import EnumChoiceField
from arrears.payments.errors import MatchError, StatementError
from arrears.payments.models import BankStatement, LineStatus, StatementFormat, StatementLine
from arrears.payments.selectors import (
    cash_may_match,
    cash_may_read,
    line_candidates_visible,
    statement_line_list,
    statement_list,
)
from arrears.payments.services import (
    statement_counts,
    statement_import,
    statement_line_ignore,
    statement_line_match,
)

MONEY = {"max_digits": 20, "decimal_places": 3}


def payments_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, StatementError | MatchError):
        return Response({"code": str(exc.code), "detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    return api_exception_handler(exc, context)


class CashPermission(BasePermission):
    message = "bank statements are for administrators, the head of collections and team leads"

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return cash_may_read(user=request.user)
        return cash_may_match(user=request.user)


class StatementOutputSerializer(serializers.ModelSerializer):
    format = EnumChoiceField(StatementFormat, read_only=True)

    class Meta:
        model = BankStatement
        fields = ["id", "file_name", "sha256", "format", "account_iban", "currency", "statement_date", "statement_ref",
                  "imported_by", "created_at", "line_count", "credit_count", "duplicate_count", "report"]
        read_only_fields = fields


class StatementUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = EnumChoiceField(StatementFormat, required=False, allow_null=True, default=None,
                             help_text="blank: detected from the content")
    dry_run = serializers.BooleanField(required=False, default=False, help_text="match and report, write nothing")


class StatementUploadOutputSerializer(serializers.Serializer):
    statement = StatementOutputSerializer(allow_null=True)
    report = serializers.DictField()


class StatementLineOutputSerializer(serializers.ModelSerializer):
    status = EnumChoiceField(LineStatus, read_only=True)
    candidates = serializers.SerializerMethodField()

    class Meta:
        model = StatementLine
        fields = ["id", "statement", "position", "source_line", "booking_date", "value_date", "amount", "currency",
                  "is_credit", "counterparty_name", "counterparty_iban", "remittance_text", "structured_reference",
                  "bank_reference", "end_to_end_id", "status", "match_method", "confidence", "evidence", "candidates",
                  "matched_customer", "payment", "matched_by", "matched_at", "ignore_reason"]
        read_only_fields = fields

    def get_candidates(self, line: StatementLine) -> list[dict[str, Any]]:
        request = self.context.get("request")
        return line_candidates_visible(user=request.user, line=line) if request else list(line.candidates)


class AllocationInputSerializer(serializers.Serializer):
    document = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)


class LineMatchInputSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    allocations = AllocationInputSerializer(many=True, required=False, allow_null=True, default=None,
                                            help_text="omitted: the customer's open documents, oldest first")


class LineIgnoreInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class PaymentsApi(LedgerApi):
    permission_classes = [CashPermission]

    def get_exception_handler(self) -> Any:
        return payments_exception_handler


class StatementListCreateApi(PaymentsApi, generics.ListAPIView):
    serializer_class = StatementOutputSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["format", "account_iban"]
    ordering_fields = ["created_at", "statement_date"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[BankStatement]:
        return statement_list()

    @extend_schema(request={"multipart/form-data": StatementUploadInputSerializer},
                   responses={201: StatementUploadOutputSerializer, 200: StatementUploadOutputSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(StatementUploadInputSerializer, request.data)
        upload = data["file"]
        result = statement_import(file_name=upload.name, content=upload.read(), format=data["format"],
                                  user=request.user, dry_run=data["dry_run"])
        body = {"statement": StatementOutputSerializer(result.statement).data if result.statement else None,
                "report": result.report}
        return Response(body, status=status.HTTP_200_OK if data["dry_run"] else status.HTTP_201_CREATED)


class StatementDetailApi(PaymentsApi, generics.RetrieveAPIView):
    serializer_class = StatementOutputSerializer

    def get_queryset(self) -> QuerySet[BankStatement]:
        return statement_list()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        statement = self.get_object()
        return Response({**StatementOutputSerializer(statement).data, "counts": statement_counts(statement=statement)})


class StatementLineListApi(PaymentsApi, generics.ListAPIView):
    serializer_class = StatementLineOutputSerializer
    filterset_fields = ["statement", "status", "is_credit", "matched_customer"]
    ordering_fields = ["booking_date", "amount", "confidence", "position"]
    ordering = ["statement", "position"]

    def get_queryset(self) -> QuerySet[StatementLine]:
        return statement_line_list()


class StatementLineDetailApi(PaymentsApi, generics.RetrieveAPIView):
    serializer_class = StatementLineOutputSerializer

    def get_queryset(self) -> QuerySet[StatementLine]:
        return statement_line_list()


class StatementLineMatchApi(PaymentsApi, generics.GenericAPIView):
    serializer_class = StatementLineOutputSerializer

    def get_queryset(self) -> QuerySet[StatementLine]:
        return statement_line_list()

    @extend_schema(request=LineMatchInputSerializer, responses=StatementLineOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        line = self.get_object()
        data = _valid(LineMatchInputSerializer, request.data)
        customer = customer_get_for_user(user=request.user, pk=data["customer"])
        allocations = None
        if data["allocations"] is not None:
            ids = [row["document"] for row in data["allocations"]]
            docs = {d.pk: d for d in document_list_visible(user=request.user).filter(pk__in=ids)}
            missing = sorted(set(ids) - set(docs))
            if missing:
                raise serializers.ValidationError({"allocations": [f"no such document: {', '.join(map(str, missing))}"]})
            allocations = [(docs[row["document"]], row["amount"]) for row in data["allocations"]]
        line = statement_line_match(line=line, customer=customer, allocations=allocations, user=request.user)
        return Response(self.get_serializer(line).data)


class StatementLineIgnoreApi(PaymentsApi, generics.GenericAPIView):
    serializer_class = StatementLineOutputSerializer

    def get_queryset(self) -> QuerySet[StatementLine]:
        return statement_line_list()

    @extend_schema(request=LineIgnoreInputSerializer, responses=StatementLineOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        line = self.get_object()
        data = _valid(LineIgnoreInputSerializer, request.data)
        line = statement_line_ignore(line=line, user=request.user, reason=data["reason"])
        return Response(self.get_serializer(line).data)

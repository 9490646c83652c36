"""GET /api/aging/: the aging report, in the same shape as `arrears aging --json`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arrears.common.clock import today
from arrears.common.money import MoneyError
from arrears.ledger.aging import BASES, GROUPINGS, aging_report
from arrears.ledger.errors import LedgerError


class _Amount(serializers.CharField):
    """A decimal amount as a string, e.g. "1234.50" (exact; never a float)."""


class AgingReportInputSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="YYYY-MM-DD; default today")
    by = serializers.ChoiceField(choices=GROUPINGS, default="customer")
    basis = serializers.ChoiceField(choices=BASES, default="due", help_text="due date (default) or invoice date")
    currency = serializers.CharField(required=False, allow_blank=True, max_length=3,
                                     help_text="only documents in this currency")
    reporting_currency = serializers.CharField(required=False, allow_blank=True, max_length=3,
                                               help_text="convert every currency with the FX rate table")


class AgingBucketSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="e.g. current, 1-30, 121+")
    label = serializers.CharField(help_text="e.g. Current, 1-30, 120+")


class AgingRowSerializer(serializers.Serializer):
    key = serializers.JSONField(allow_null=True, help_text="customer, collector or business unit id, or the segment")
    label = serializers.CharField()
    currency = serializers.CharField()
    buckets = serializers.DictField(child=_Amount(), help_text="bucket key -> amount")
    total = _Amount(help_text="open debit documents: the sum of the buckets")
    unapplied_credits = _Amount(help_text="open credit notes and unapplied cash, zero or negative")
    net_balance = _Amount(help_text="total + unapplied credits")
    disputed = _Amount(help_text="of which disputed")
    document_count = serializers.IntegerField()


class AgingReportSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    by = serializers.ChoiceField(choices=GROUPINGS)
    basis = serializers.ChoiceField(choices=BASES)
    currency = serializers.CharField(allow_null=True, help_text="null when rows are in several currencies")
    reporting_currency = serializers.CharField(allow_null=True)
    fx_rates = serializers.DictField(child=_Amount(), help_text="currency -> rate used to convert")
    buckets = AgingBucketSerializer(many=True)
    rows = AgingRowSerializer(many=True)
    totals = AgingRowSerializer(many=True, help_text="one totals row per currency")


class AgingErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class AgingReportApi(APIView):
    """The report a collector may see: the ledger permission gate applies."""

    permission_classes = [IsAuthenticated]
    InputSerializer = AgingReportInputSerializer
    OutputSerializer = AgingReportSerializer

    @extend_schema(
        operation_id="aging_report",
        parameters=[AgingReportInputSerializer],
        responses={200: AgingReportSerializer, 400: AgingErrorSerializer},
        summary="Aged balances as of a date",
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            report = aging_report(
                as_of=data.get("as_of") or today(),
                by=data["by"],
                basis=data["basis"],
                user=request.user,
                currency=data.get("currency") or None,
                reporting_currency=data.get("reporting_currency") or None,
            )
        except LedgerError as exc:
            return Response({"code": str(exc.code), "detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
        except (MoneyError, ValueError) as exc:
            return Response({"code": "invalid", "detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(report.as_dict())

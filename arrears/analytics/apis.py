"""GET /api/kpis/: the KPI report, the same JSON document as `arrears kpi --json`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arrears.analytics.errors import AnalyticsError
from arrears.analytics.kpis.core import KpiInputError
from arrears.analytics.selectors import GROUPINGS, Scope, kpi_report
from arrears.users.models import Role


class KpiReportInputSerializer(serializers.Serializer):
    """Query string: from, to (YYYY-MM-DD), by, currency. "from" is a Python keyword, hence get_fields."""

    by = serializers.ChoiceField(choices=GROUPINGS, required=False, allow_blank=True, help_text="one entry per group")
    currency = serializers.CharField(required=False, allow_blank=True, max_length=3,
                                     help_text="reporting currency (default: the ledger's only currency)")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(help_text="first day of the period, YYYY-MM-DD")
        fields["to"] = serializers.DateField(help_text="last day of the period, YYYY-MM-DD")
        return fields

    def validate(self, attrs):
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": f"the period ends ({attrs['to']}) before it starts ({attrs['from']})"})
        return attrs


class KpiFigureSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    unit = serializers.ChoiceField(choices=["days", "percent", "money"])
    value = serializers.CharField(allow_null=True, help_text="exact value, 34 significant digits; null when undefined")
    display = serializers.CharField(allow_null=True, help_text="rounded to 2 dp, half up")
    reason = serializers.CharField(allow_null=True, help_text="why it is undefined, e.g. ZERO_CREDIT_SALES")
    flags = serializers.ListField(child=serializers.CharField(), help_text="e.g. NEGATIVE_AR, HISTORY_EXHAUSTED")
    method = serializers.CharField(allow_null=True)


class KpiGroupSerializer(serializers.Serializer):
    key = serializers.JSONField(allow_null=True, help_text="id of the business unit, collector, strategy or customer; the segment; the arm (0/1)")
    label = serializers.CharField()
    kpis = serializers.DictField(child=KpiFigureSerializer())
    figures = serializers.DictField(child=serializers.JSONField(), help_text="the inputs: sales, balances, counts (amounts as strings)")


class KpiPeriodSerializer(serializers.Serializer):
    # "from"/"to" are the field names on the wire.
    days = serializers.IntegerField()
    months = serializers.IntegerField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields


class KpiReportSerializer(serializers.Serializer):
    period = KpiPeriodSerializer()
    by = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    roll_rates_between = serializers.ListField(child=serializers.DateField())
    fx_rates = serializers.DictField(child=serializers.ListField(child=serializers.ListField(child=serializers.CharField())),
                                     help_text="currency -> [[rate date, rate], ...] used")
    groups = KpiGroupSerializer(many=True)
    total = KpiGroupSerializer(allow_null=True)


class KpiErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class KpiReportApi(APIView):
    """Head, admins and auditors: the whole portfolio; a lead: the team's customers; collectors: 403."""

    permission_classes = [IsAuthenticated]
    InputSerializer = KpiReportInputSerializer
    OutputSerializer = KpiReportSerializer

    @extend_schema(
        operation_id="kpi_report",
        parameters=[KpiReportInputSerializer],
        responses={200: KpiReportSerializer, 400: KpiErrorSerializer},
        summary="Every KPI of a period, per group",
    )
    def get(self, request: Request) -> Response:
        user = request.user
        if not (user.sees_whole_portfolio or user.role == Role.LEAD):
            raise PermissionDenied("KPIs are for the head of collections and team leads.")
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            report = kpi_report(start=data["from"], end=data["to"], by=data.get("by") or None,
                                currency=data.get("currency") or None, scope=Scope(user=user))
        except AnalyticsError as exc:
            return Response({"code": str(exc.code), "detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
        except KpiInputError as exc:
            return Response({"code": "invalid", "detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(report.as_dict())

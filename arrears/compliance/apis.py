"""Compliance REST API: the what-if check and the decision log.

POST /api/compliance/check/ takes either the JSON request of `rules.serialization`
({"contact": {...}, "context": {...}, "policy": {...}}: the facts are given) or a customer from the
ledger ({"customer": 12, "channel": "phone", "at": "2026-11-23T10:00:00-05:00", ...}) and answers
`Decision.to_dict()`. Nothing is stored. Errors are {"code", "detail", "field"}.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arrears.compliance.errors import ComplianceError
from arrears.compliance.models import ComplianceDecision, Initiator, Outcome
from arrears.compliance.rules import Purpose
from arrears.compliance.selectors import (
    compliance_decision_list,
    compliance_may_read_decisions,
    customer_for_check,
)
from arrears.compliance.services import compliance_check_request, compliance_gate
from arrears.ledger.apis import api_exception_handler
from arrears.ledger.models import Channel
from arrears.ledger.serializers import EnumChoiceField


def compliance_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ComplianceError):
        body = {"code": str(exc.code), "detail": exc.message, "field": exc.field}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return api_exception_handler(exc, context)


class ComplianceApi(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get_exception_handler(self) -> Any:
        return compliance_exception_handler


class CanReadDecisions(BasePermission):
    message = "the compliance log is for heads, administrators, auditors and team leads"

    def has_permission(self, request: Request, view: Any) -> bool:
        return compliance_may_read_decisions(user=request.user)


class ComplianceCheckApi(ComplianceApi):
    class LedgerInputSerializer(serializers.Serializer):
        customer = serializers.IntegerField()
        channel = EnumChoiceField(Channel)
        at = serializers.DateTimeField(help_text="ISO 8601 with an offset, e.g. 2026-11-23T10:00:00-05:00")
        initiated_by = EnumChoiceField(Initiator, default=Initiator.AUTOMATIC)
        contact = serializers.IntegerField(required=False, allow_null=True)
        purpose = serializers.ChoiceField(choices=[p.value for p in Purpose], default=Purpose.COLLECTION.value)
        debt_ids = serializers.ListField(child=serializers.IntegerField(), required=False, allow_null=True)
        content = serializers.DictField(required=False, allow_null=True, help_text="rules.Content flags")

        def validate_at(self, value: Any) -> Any:
            raw = self.initial_data.get("at", "")
            if isinstance(raw, str) and not _has_offset(raw):
                raise serializers.ValidationError("give the time with an offset or Z, e.g. 2026-11-23T10:00:00-05:00")
            return value

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample("Facts given", value={
                "contact": {"at": "2026-11-23T22:00:00-05:00", "channel": "phone", "debt_ids": ["INV-1"]},
                "context": {"profile": "us_consumer", "location": {"addresses": [{"country": "US", "region": "NY"}]}},
            }),
            OpenApiExample("A ledger customer", value={"customer": 12, "channel": "phone",
                                                      "at": "2026-11-23T10:00:00-05:00", "initiated_by": "manual"}),
        ],
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["expected a JSON object"]})
        if "context" in data:
            return Response(compliance_check_request(data=data).to_dict())
        serializer = self.LedgerInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        customer = customer_for_check(user=request.user, pk=values["customer"])
        decision = compliance_gate(
            customer=customer, channel=values["channel"], when=values["at"], initiated_by=values["initiated_by"],
            contact=values.get("contact"), purpose=values["purpose"], debt_ids=values.get("debt_ids"),
            content_flags=values.get("content"), actor=request.user, record=False, source="what-if api",
        )
        return Response({**decision.decision, "customer": customer.pk,
                         "contact": decision.contact.pk if decision.contact else None})


def _has_offset(text: str) -> bool:
    text = text.strip()
    if text.endswith(("Z", "z")):
        return True
    time_part = text.partition("T")[2] or text.partition(" ")[2]
    return "+" in time_part or "-" in time_part


class DecisionOutputSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    actor = serializers.StringRelatedField()
    channel = EnumChoiceField(Channel)
    initiated_by = EnumChoiceField(Initiator)
    outcome = EnumChoiceField(Outcome)

    class Meta:
        model = ComplianceDecision
        fields = [
            "id", "at", "customer", "customer_name", "contact", "channel", "planned_at", "initiated_by", "purpose",
            "debt_ids", "allowed", "outcome", "blocking_rules", "reasons", "next_allowed_at", "decision", "actor",
            "source",
        ]


class ComplianceDecisionListApi(ComplianceApi, generics.ListAPIView):
    """GET /api/compliance/decisions/?allowed=false&rule=US-TIME&channel=phone&customer=12&outcome=BLOCK"""

    serializer_class = DecisionOutputSerializer
    permission_classes = [IsAuthenticated, CanReadDecisions]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ComplianceDecision.objects.none()
        params = self.request.query_params
        allowed = {"true": True, "false": False, "1": True, "0": False}.get(params.get("allowed", "").lower())
        outcome = params.get("outcome") or None
        if outcome and outcome not in Outcome.values:
            raise serializers.ValidationError({"outcome": [f"one of {', '.join(Outcome.values)}"]})
        customer_id = params.get("customer")
        if customer_id and not customer_id.isdigit():
            raise serializers.ValidationError({"customer": ["a customer id"]})
        return compliance_decision_list(
            user=self.request.user, allowed=allowed, outcome=outcome, rule=params.get("rule") or None,
            channel=params.get("channel") or None, initiated_by=params.get("initiated_by") or None,
            customer_id=int(customer_id) if customer_id else None,
        )


class ComplianceDecisionDetailApi(ComplianceApi, generics.RetrieveAPIView):
    serializer_class = DecisionOutputSerializer
    permission_classes = [IsAuthenticated, CanReadDecisions]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ComplianceDecision.objects.none()
        if not compliance_may_read_decisions(user=self.request.user):  # pragma: no cover - the permission says so
            raise PermissionDenied
        return compliance_decision_list(user=self.request.user)

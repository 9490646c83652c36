"""REST API for disputes: open, list, move through the workflow, assign, comment, attach.

Every queryset starts at `disputes.selectors.dispute_list_visible` (the customer gate), so a collector
gets 404 for another collector's disputes; auditors read and never write (403). Resolutions that change
balances (credit note, write-off) are for team leads, the head of collections and administrators.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from arrears.disputes.errors import DisputeError
from arrears.disputes.models import (
    Dispute,
    DisputeAttachment,
    DisputeComment,
    DisputeLine,
    DisputeReason,
    DisputeStatus,
    Resolution,
)
from arrears.disputes.selectors import dispute_list_visible
from arrears.disputes.services import (
    dispute_assign,
    dispute_attachment_add,
    dispute_comment_add,
    dispute_open,
    dispute_transition,
)
from arrears.ledger.apis import LedgerApi, api_exception_handler
from arrears.ledger.selectors import customer_get_for_user, document_list_visible
from arrears.ledger.serializers import EnumChoiceField
from arrears.users.models import Role, User

MONEY = {"max_digits": 20, "decimal_places": 3}
MAY_ADJUST = {Role.ADMIN, Role.HEAD, Role.LEAD}


def disputes_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DisputeError):
        return Response({"code": str(exc.code), "detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    return api_exception_handler(exc, context)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _owner(pk: int | None) -> User | None:
    if pk is None:
        return None
    owner = User.objects.filter(pk=pk, is_active=True).first()
    if owner is None:
        raise serializers.ValidationError({"owner": [f"no such active user: {pk}"]})
    return owner


class DisputeLineOutputSerializer(serializers.ModelSerializer):
    document_number = serializers.CharField(source="document.external_id", read_only=True)

    class Meta:
        model = DisputeLine
        fields = ["document", "document_number", "amount"]
        read_only_fields = fields


class DisputeOutputSerializer(serializers.ModelSerializer):
    reason = EnumChoiceField(DisputeReason, read_only=True)
    status = EnumChoiceField(DisputeStatus, read_only=True)
    resolution = EnumChoiceField(Resolution, read_only=True)
    lines = DisputeLineOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id", "customer", "reason", "description", "currency", "disputed_amount", "lines", "status", "owner",
            "created_by", "opened_at", "opened_on", "sla_days", "due_date", "resolved_at", "resolved_on",
            "resolution_days", "resolution_business_days", "resolution", "resolution_amount", "resolution_note",
            "credit_note",
        ]
        read_only_fields = fields


class DisputeLineInputSerializer(serializers.Serializer):
    document = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None,
                                      help_text="blank = the document's whole open amount")


class DisputeCreateInputSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    reason = EnumChoiceField(DisputeReason)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    owner = serializers.IntegerField(required=False, allow_null=True, default=None)
    documents = DisputeLineInputSerializer(many=True, allow_empty=False)


class DisputeTransitionInputSerializer(serializers.Serializer):
    to = EnumChoiceField(DisputeStatus)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None,
                                      help_text="credited / write-off: less than the disputed amount")
    adjustment = EnumChoiceField(Resolution, required=False, default=Resolution.NONE,
                                 help_text="resolved_valid: write_off to write the amount off")


class DisputeAssignInputSerializer(serializers.Serializer):
    owner = serializers.IntegerField()


class DisputeCommentSerializer(serializers.ModelSerializer):
    author_username = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = DisputeComment
        fields = ["id", "author", "author_username", "body", "created_at"]
        read_only_fields = ["id", "author", "author_username", "created_at"]


class DisputeAttachmentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = DisputeAttachment
        fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_by", "created_at"]
        read_only_fields = fields


class DisputeAttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class DisputesApi(LedgerApi):
    serializer_class = DisputeOutputSerializer

    def get_exception_handler(self) -> Any:
        return disputes_exception_handler

    def get_queryset(self) -> QuerySet[Dispute]:
        if self.schema_only:
            return Dispute.objects.none()
        return dispute_list_visible(user=self.request.user)

    def get_object(self) -> Dispute:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def out(self, dispute: Dispute) -> dict[str, Any]:
        return DisputeOutputSerializer(self.get_queryset().get(pk=dispute.pk)).data


class DisputeListCreateApi(DisputesApi, generics.ListAPIView):
    filterset_fields = ["customer", "status", "reason", "owner"]
    ordering_fields = ["opened_at", "due_date", "disputed_amount"]
    ordering = ["-opened_at", "-id"]

    @extend_schema(request=DisputeCreateInputSerializer, responses={201: DisputeOutputSerializer})
    def post(self, request: Request) -> Response:
        data = _valid(DisputeCreateInputSerializer, request.data)
        customer = customer_get_for_user(user=request.user, pk=data["customer"])
        ids = [row["document"] for row in data["documents"]]
        docs = {d.pk: d for d in document_list_visible(user=request.user).filter(pk__in=ids)}
        missing = sorted(set(ids) - set(docs))
        if missing:
            raise serializers.ValidationError({"documents": [f"no such document: {', '.join(map(str, missing))}"]})
        dispute = dispute_open(
            customer=customer, reason=data["reason"], description=data["description"], owner=_owner(data["owner"]),
            created_by=request.user, lines=[(docs[row["document"]], row["amount"]) for row in data["documents"]],
        )
        return Response(self.out(dispute), status=status.HTTP_201_CREATED)


class DisputeDetailApi(DisputesApi):
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.out(self.get_object()))


class DisputeTransitionApi(DisputesApi):
    @extend_schema(request=DisputeTransitionInputSerializer, responses=DisputeOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        dispute = self.get_object()
        data = _valid(DisputeTransitionInputSerializer, request.data)
        to = data.pop("to")
        adjusts = to == DisputeStatus.CREDITED or data["adjustment"] == Resolution.WRITE_OFF
        user = request.user
        if adjusts and not (user.is_superuser or user.role in MAY_ADJUST):
            raise exceptions.PermissionDenied("only a team lead, the head of collections or an administrator may credit or write off")
        if to != DisputeStatus.RESOLVED_VALID:
            data.pop("adjustment")
        if to in (DisputeStatus.IN_REVIEW, DisputeStatus.RESOLVED_INVALID):
            data.pop("amount")
        if to == DisputeStatus.RESOLVED_VALID:
            data["by"] = user
        return Response(self.out(dispute_transition(dispute=dispute, to=to, **data)))


class DisputeAssignApi(DisputesApi):
    @extend_schema(request=DisputeAssignInputSerializer, responses=DisputeOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        dispute = self.get_object()
        data = _valid(DisputeAssignInputSerializer, request.data)
        return Response(self.out(dispute_assign(dispute=dispute, owner=_owner(data["owner"]))))


class DisputeCommentListCreateApi(DisputesApi, generics.ListAPIView):
    serializer_class = DisputeCommentSerializer
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[DisputeComment]:  # type: ignore[override]
        if self.schema_only:
            return DisputeComment.objects.none()
        return DisputeComment.objects.filter(dispute=self.get_object()).select_related("author")

    def get_object(self) -> Dispute:  # type: ignore[override]
        return get_object_or_404(dispute_list_visible(user=self.request.user), pk=self.kwargs["pk"])

    @extend_schema(request=DisputeCommentSerializer, responses={201: DisputeCommentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        dispute = self.get_object()
        data = _valid(DisputeCommentSerializer, request.data)
        comment = dispute_comment_add(dispute=dispute, author=request.user, body=data["body"])
        return Response(DisputeCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class DisputeAttachmentListCreateApi(DisputesApi, generics.ListAPIView):
    serializer_class = DisputeAttachmentOutputSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[DisputeAttachment]:  # type: ignore[override]
        if self.schema_only:
            return DisputeAttachment.objects.none()
        return DisputeAttachment.objects.filter(dispute=self.get_object())

    def get_object(self) -> Dispute:  # type: ignore[override]
        return get_object_or_404(dispute_list_visible(user=self.request.user), pk=self.kwargs["pk"])

    @extend_schema(request={"multipart/form-data": DisputeAttachmentInputSerializer},
                   responses={201: DisputeAttachmentOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        dispute = self.get_object()
        data = _valid(DisputeAttachmentInputSerializer, request.data)
        attachment = dispute_attachment_add(dispute=dispute, upload=data["file"], uploaded_by=request.user)
        return Response(DisputeAttachmentOutputSerializer(attachment).data, status=status.HTTP_201_CREATED)

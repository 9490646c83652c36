"""REST API of the imports app: upload a file to import it, list runs and profiles.

POST runs the import synchronously and answers with the same JSON document as
`arrears import --json` (201 when imported, 400 when rejected). Importing needs `user.can_import`;
reading runs and profiles is open to every signed-in user except collectors.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arrears.imports.errors import ImportErrorCode
from arrears.imports.models import ImportRun
from arrears.imports.selectors import import_profile_list, import_run_get, import_run_list
from arrears.imports.services import import_result_json, import_run_execute
from arrears.imports.uploads import upload_limit_bytes, upload_problem
from arrears.users.models import Role


class ImportPermission(BasePermission):
    message = "Importing needs the lead, head or admin role; reading imports is not open to collectors."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return user.is_superuser or user.role != Role.COLLECTOR
        return bool(user.can_import)


class CountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class KindCountsSerializer(serializers.Serializer):
    customers = CountsSerializer()
    documents = CountsSerializer()
    payments = CountsSerializer()


class IssueSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="1-based line of the file; the header is row 1")
    column = serializers.CharField(allow_null=True)
    code = serializers.ChoiceField(choices=[(c.value, c.value) for c in ImportErrorCode])
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    file = serializers.CharField()
    sha256 = serializers.CharField()
    profile = serializers.CharField()
    business_unit = serializers.CharField(allow_null=True)
    dry_run = serializers.BooleanField()
    status = serializers.CharField(help_text="ok or rejected")
    rows = serializers.IntegerField()
    counts = KindCountsSerializer()
    errors = IssueSerializer(many=True)
    error_count = serializers.IntegerField()


class ImportRunOutputSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status = serializers.CharField(help_text="running, ok, rejected or failed")
    counts = KindCountsSerializer()

    class Meta:
        model = ImportRun
        fields = ["id", "file_name", "sha256", "size", "profile", "business_unit_code", "user", "dry_run", "status",
                  "started_at", "finished_at", "rows", "counts", "error_count"]


class ImportRunDetailOutputSerializer(ImportRunOutputSerializer):
    errors = IssueSerializer(many=True)

    class Meta(ImportRunOutputSerializer.Meta):
        fields = [*ImportRunOutputSerializer.Meta.fields, "errors"]


class MappingSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="file column, constant or template")
    field = serializers.CharField(help_text="our field")


class ImportProfileOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    source = serializers.ChoiceField(choices=[("database", "database"), ("file", "file")])
    label = serializers.CharField()
    description = serializers.CharField()
    business_unit = serializers.CharField(allow_null=True, required=False)
    mapping = MappingSerializer(many=True)
    error = serializers.CharField(required=False, help_text="why the profile cannot be used, if it cannot")


class ImportRunListCreateApi(generics.GenericAPIView):
    permission_classes = [ImportPermission]
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = ImportRunOutputSerializer

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text=".csv or .xlsx")
        profile = serializers.CharField(help_text="profile name, see /api/import-profiles/")
        dry_run = serializers.BooleanField(default=False)
        business_unit = serializers.CharField(required=False, allow_blank=True, help_text="business unit code")

    def get_queryset(self) -> Any:
        return import_run_list(user=self.request.user)

    @extend_schema(responses=ImportRunOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ImportRunOutputSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: ImportResultSerializer, 400: ImportResultSerializer},
    )
    def post(self, request: Request) -> Response:
        form = self.InputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        problem = upload_problem(upload.name, upload.size, limit=upload_limit_bytes())
        if problem is not None:
            raise serializers.ValidationError({"file": [problem]})
        outcome = import_run_execute(
            data=upload.read(), file_name=upload.name, profile_name=form.validated_data["profile"], user=request.user,
            dry_run=form.validated_data["dry_run"], business_unit_code=form.validated_data.get("business_unit") or None,
        )
        code = status.HTTP_201_CREATED if outcome.ok else status.HTTP_400_BAD_REQUEST
        return Response(import_result_json(outcome.run), status=code)


class ImportRunDetailApi(APIView):
    permission_classes = [ImportPermission]

    @extend_schema(responses=ImportRunDetailOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        try:
            run = import_run_get(pk=pk)
        except ImportRun.DoesNotExist:
            return Response({"detail": "No such import run."}, status=status.HTTP_404_NOT_FOUND)
        return Response(ImportRunDetailOutputSerializer(run).data)


class ImportProfileListApi(APIView):
    permission_classes = [ImportPermission]

    @extend_schema(responses=ImportProfileOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ImportProfileOutputSerializer(import_profile_list(), many=True).data)

"""Token endpoint of the REST API: POST username and password, get the user's token back."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='send as the header "Authorization: Token <token>"')


class TokenObtainApi(ObtainAuthToken):
    """Exchange a username and password for the user's API token (the same token on every call)."""

    authentication_classes: list[Any] = []  # credentials are in the body; no session, so no CSRF

    @extend_schema(request=AuthTokenSerializer, responses=TokenOutputSerializer, auth=[])
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})

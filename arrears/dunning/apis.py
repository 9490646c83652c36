"""REST API for runs, mounted at /api/dunning/ by config/urls.py: the run records, the dry run and the
champion/challenger experiments.

Runs show the whole portfolio's counts, so only roles that see the whole portfolio (admin, head of
collections, auditor) may read them. Experiments compare strategies, which team leads judge too: they
are read by admin, head, lead and auditor; collectors get 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arrears.common.clock import today
from arrears.common.json import jsonable
from arrears.dunning.errors import DunningError
from arrears.dunning.models import DunningRun
from arrears.dunning.services.experiments import (
    experiment_get,
    experiment_list,
    experiment_may_read,
    experiment_period_default,
    experiment_report,
)
from arrears.dunning.services.nightly_run import run_preview, run_record


class SeesWholePortfolio(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "sees_whole_portfolio", False))


class ReadsExperiments(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return experiment_may_read(user=request.user)


class DunningRunListApi(APIView):
    permission_classes = [SeesWholePortfolio]

    @extend_schema(operation_id="dunning_runs_list", responses={200: OpenApiTypes.OBJECT},
                   description="The last 100 run records, newest first.")
    def get(self, request: Request) -> Response:
        runs = DunningRun.objects.filter(dry_run=False).order_by("-as_of")[:100]
        return Response({"results": [jsonable(run_record(r)) for r in runs]})


class DunningRunDetailApi(APIView):
    permission_classes = [SeesWholePortfolio]

    @extend_schema(operation_id="dunning_runs_retrieve", responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
                   description="One run record: counts per strategy, step, channel and outcome, blocked counts, durations.")
    def get(self, request: Request, pk: int) -> Response:
        run = DunningRun.objects.filter(pk=pk).first()
        if run is None:
            return Response({"detail": f"no dunning run with id {pk}"}, status=status.HTTP_404_NOT_FOUND)
        return Response(jsonable(run_record(run)))


class DunningPreviewApi(APIView):
    """GET ?as_of=YYYY-MM-DD: what the run for that date would do; nothing is written."""

    permission_classes = [SeesWholePortfolio]

    @extend_schema(
        operation_id="dunning_preview",
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, required=True, description="business date")],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("as_of", "")
        try:
            as_of = dt.date.fromisoformat(raw)
        except ValueError:
            return Response({"as_of": [f"{raw!r} is not a date; expected YYYY-MM-DD"]},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(jsonable(run_preview(as_of=as_of)))


class ExperimentListApi(APIView):
    permission_classes = [ReadsExperiments]

    @extend_schema(operation_id="dunning_experiments_list", responses={200: OpenApiTypes.OBJECT},
                   description="Segment rules with a challenger (active or not) and their arms' customer counts.")
    def get(self, request: Request) -> Response:
        return Response({"results": jsonable(experiment_list())})


class ExperimentReportApi(APIView):
    """GET ?from=&to=&currency=: both arms side by side, Welch and Mann-Whitney tests, the verdict."""

    permission_classes = [ReadsExperiments]

    @extend_schema(
        operation_id="dunning_experiments_retrieve",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="first day (default: the rule's first action)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="last day (default: today)"),
            OpenApiParameter("currency", OpenApiTypes.STR, description="reporting currency (ISO 4217)"),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, pk: int) -> Response:
        try:
            rule = experiment_get(rule_id=pk)
        except DunningError as exc:
            return Response({"detail": exc.message}, status=status.HTTP_404_NOT_FOUND)
        start, end = experiment_period_default(rule=rule, today=today())
        dates = {}
        for name, default in (("from", start), ("to", end)):
            raw = request.query_params.get(name, "").strip()
            try:
                dates[name] = dt.date.fromisoformat(raw) if raw else default
            except ValueError:
                return Response({name: [f"{raw!r} is not a date; expected YYYY-MM-DD"]},
                                status=status.HTTP_400_BAD_REQUEST)
        try:
            report = experiment_report(rule=rule, start=dates["from"], end=dates["to"],
                                       currency=request.query_params.get("currency") or None)
        except DunningError as exc:
            return Response({exc.field or "detail": [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(jsonable(report))

"""Import pages: upload -> preview (a dry run) -> confirm -> result, and the errors as CSV.

The upload is kept under MEDIA_ROOT/imports/ with a random name between preview and confirm; the
dry run's ImportRun remembers it (with its sha256), and only the user who uploaded it can confirm.
"""

from __future__ import annotations

import csv
import uuid
from pathlib import Path, PurePath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from arrears.imports.models import ImportRun, ImportRunStatus
from arrears.imports.selectors import import_profile_list, import_run_get, import_run_list
from arrears.imports.services import import_result_json, import_run_execute
from arrears.imports.uploads import upload_limit_bytes, upload_problem
from arrears.ledger.models import BusinessUnit
from arrears.users.models import Role

STASH = "imports"


def _may_read(user) -> bool:
    return user.is_superuser or user.role != Role.COLLECTOR


def _stash_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / STASH
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stash_path(stored: str) -> Path | None:
    """The stashed file of a run, only if it really lies in the stash directory."""
    if not stored:
        return None
    base = _stash_dir().resolve()
    path = (Path(settings.MEDIA_ROOT) / stored).resolve()
    return path if path.parent == base and path.is_file() else None


def _errors_on_screen() -> int:
    return int(getattr(settings, "ARREARS_IMPORT_ERRORS_ON_SCREEN", 20))


def _form_context(request: HttpRequest, **extra) -> dict:
    return {
        "profiles": [p for p in import_profile_list() if "error" not in p],
        "business_units": BusinessUnit.objects.order_by("code").values_list("code", "name"),
        "runs": import_run_list(user=request.user)[:10],
        "limit_mb": upload_limit_bytes() // (1024 * 1024),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    if not _may_read(request.user):
        raise PermissionDenied
    if request.method == "GET":
        return render(request, "imports/upload.html", _form_context(request))
    if not request.user.can_import:
        raise PermissionDenied
    upload = request.FILES.get("file")
    profile = request.POST.get("profile", "")
    unit = request.POST.get("business_unit") or None
    problem = "Choose a .csv or .xlsx file." if upload is None else upload_problem(
        upload.name, upload.size, limit=upload_limit_bytes())
    if problem is None and not profile:
        problem = "Choose a profile."
    if problem is not None:
        return render(request, "imports/upload.html", _form_context(request, problem=problem), status=400)
    data = upload.read()
    stored = f"{STASH}/{uuid.uuid4().hex}{PurePath(upload.name).suffix.lower()}"
    (Path(settings.MEDIA_ROOT) / stored).parent.mkdir(parents=True, exist_ok=True)
    (Path(settings.MEDIA_ROOT) / stored).write_bytes(data)
    outcome = import_run_execute(
        data=data, file_name=upload.name, profile_name=profile, user=request.user, dry_run=True,
        business_unit_code=unit, stored_file=stored,
    )
    if not outcome.ok:
        (Path(settings.MEDIA_ROOT) / stored).unlink(missing_ok=True)
    result = import_result_json(outcome.run)
    fields = sorted({k for r in outcome.preview for k in r if k != "row"}, key=_field_order)
    return render(request, "imports/preview.html", {
        "run": outcome.run, "result": result, "mapping": outcome.mapping,
        "preview_fields": fields, "preview": [[r.get("row")] + [r.get(f, "") for f in fields] for r in outcome.preview],
        "errors": result["errors"][: _errors_on_screen()], "errors_on_screen": _errors_on_screen(),
    }, status=200 if outcome.ok else 400)


def _field_order(name: str) -> tuple[int, str]:
    owners = ("customer", "document", "payment")
    return (next((i for i, o in enumerate(owners) if name.startswith(o)), 9), name)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.can_import:
        raise PermissionDenied
    try:
        preview = import_run_get(pk=pk)
    except ImportRun.DoesNotExist as exc:
        raise Http404("No such import") from exc
    if preview.user_id != request.user.pk:
        raise PermissionDenied
    path = _stash_path(preview.stored_file)
    if not preview.dry_run or preview.status != ImportRunStatus.OK or path is None:
        messages.error(request, "This preview cannot be imported any more: upload the file again.")
        return redirect("imports:upload")
    data = path.read_bytes()
    outcome = import_run_execute(
        data=data, file_name=preview.file_name, profile_name=preview.profile, user=request.user,
        business_unit_code=preview.business_unit_code or None,
    )
    path.unlink(missing_ok=True)
    ImportRun.objects.filter(pk=preview.pk).update(stored_file="")
    if outcome.ok:
        messages.success(request, f"Imported {preview.file_name}.")
    return redirect("imports:run", pk=outcome.run.pk)


@login_required
def import_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not _may_read(request.user):
        raise PermissionDenied
    try:
        run = import_run_get(pk=pk)
    except ImportRun.DoesNotExist as exc:
        raise Http404("No such import") from exc
    result = import_result_json(run)
    return render(request, "imports/run.html", {
        "run": run, "result": result, "errors": result["errors"][: _errors_on_screen()],
        "errors_on_screen": _errors_on_screen(),
    })


@login_required
def import_run_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    if not _may_read(request.user):
        raise PermissionDenied
    try:
        run = import_run_get(pk=pk)
    except ImportRun.DoesNotExist as exc:
        raise Http404("No such import") from exc
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
    writer = csv.writer(response)
    writer.writerow(["row", "column", "code", "message"])
    for e in run.errors:
        writer.writerow([e.get("row") or "", e.get("column") or "", e.get("code"), e.get("message")])
    return response

"""The global audit trail, for users who may read it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from arrears.web.forms import AuditFilterForm, day_bounds
from arrears.web.selectors import audit_list_for_page, page_fetch, page_number
from arrears.web.views import PAGE_SIZE, render_page


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    if not request.user.can_read_audit:
        raise PermissionDenied("the audit trail is for administrators, heads of collections and auditors")
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    start, end = day_bounds(
        date_from=filters.pop("date_from"), date_to=filters.pop("date_to"), tz=ZoneInfo(settings.TIME_ZONE)
    )
    qs = audit_list_for_page(**filters, date_from=start, date_to=end)
    page = page_fetch(qs, page=page_number(request.GET.get("page")), size=PAGE_SIZE)
    return render_page(
        request,
        template="web/audit_list.html",
        partial="web/_audit_table.html",
        context={"form": form, "page": page},
    )

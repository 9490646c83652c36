from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from arrears.audit.context import acting_as


class AuditActorMiddleware:
    """Every write made while serving a request is attributed to the logged-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with acting_as(user):
                return self.get_response(request)
        return self.get_response(request)

"""The application's URLs plus views that fail on purpose, for tests/test_error_pages.py."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.urls import path

from config.urls import handler500
from config.urls import urlpatterns as application_urls

SECRET_DETAIL = "internal-detail-7f3a"


def fail(exception):
    def view(request):
        raise exception(SECRET_DETAIL)

    return view


urlpatterns = [
    *application_urls,
    path("test-errors/400/", fail(BadRequest)),
    path("test-errors/403/", fail(PermissionDenied)),
    path("test-errors/500/", fail(RuntimeError)),
]

__all__ = ["handler500", "urlpatterns"]

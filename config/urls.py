from django.contrib import admin
from django.urls import include, path

from cases import pending
from config import views

urlpatterns = [
    path("", include("services.urls")),
    path("cases/", include("cases.urls")),
    # "Mis pendientes": top-level, as it spans cases of several services (and the home links it).
    path("pending/", pending.pending_list, name="pending_list"),
    path("shelters/", include("shelters.urls")),
    path("reports/", include("reports.urls")),
    path("activities/", include("activities.urls")),
    path("", include("field.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("favicon.ico", views.favicon, name="favicon"),
]

# 400, 403 and 404 are Django's own views with our templates (templates/4xx.html); a 500 falls
# back to a bare page if even the layout fails to render.
handler500 = views.server_error

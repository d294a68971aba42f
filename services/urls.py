from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.decorators.cache import never_cache

from services import converters  # noqa: F401 - registers the `code` path converter

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    # Every logged-in user changes her own password here (not the admin's page, which is for
    # administrators); the new one passes AUTH_PASSWORD_VALIDATORS, zxcvbn's strength included.
    path(
        "accounts/password/",
        never_cache(
            auth_views.PasswordChangeView.as_view(
                template_name="registration/change_password.html",
                success_url=reverse_lazy("password_change_done"),
            )
        ),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        never_cache(
            auth_views.PasswordChangeDoneView.as_view(
                template_name="registration/change_password_done.html"
            )
        ),
        name="password_change_done",
    ),
    path("services/", views.service_list, name="service_list"),
    path("services/<code:code>/", views.service_detail, name="service_detail"),
    path("geo/provinces/", views.province_options, name="geo_provinces"),
    path("geo/districts/", views.district_options, name="geo_districts"),
    path("geo/communities/", views.community_options, name="geo_communities"),
    path("geo/services/search/", views.service_search, name="geo_service_search"),
    path("geo/communities/search/", views.community_search, name="geo_community_search"),
]

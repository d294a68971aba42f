from django.contrib.auth import views as auth_views
from django.urls import path

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
    path("services/", views.service_list, name="service_list"),
    path("services/<code:code>/", views.service_detail, name="service_detail"),
    path("geo/provinces/", views.province_options, name="geo_provinces"),
    path("geo/districts/", views.district_options, name="geo_districts"),
    path("geo/communities/", views.community_options, name="geo_communities"),
]

from django.urls import path

from services import converters  # noqa: F401 - registers the `code` path converter

from . import views

urlpatterns = [
    path("", views.activity_list, name="activity_list"),
    path("new/", views.activity_create, name="activity_create"),
    path("districts/search/", views.district_search, name="activity_district_search"),
    path("<code:code>/", views.activity_detail, name="activity_detail"),
    path("<code:code>/edit/", views.activity_edit, name="activity_edit"),
    path("<code:code>/cancel/", views.activity_cancel, name="activity_cancel"),
]

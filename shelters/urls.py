from django.urls import path

from services import converters  # noqa: F401 - registers the `code` path converter

from . import views

urlpatterns = [
    path("", views.shelter_board, name="shelter_board"),
    path("national/", views.shelter_national, name="shelter_national"),
    path("<code:code>/", views.shelter_detail, name="shelter_detail"),
    path("<code:code>/edit/", views.shelter_edit, name="shelter_edit"),
    path("<code:code>/admit/", views.shelter_admit, name="shelter_admit"),
    path(
        "<code:code>/families/<uuid:family>/discharge/",
        views.shelter_discharge,
        name="shelter_discharge",
    ),
    path(
        "<code:code>/families/<uuid:family>/transfer/",
        views.shelter_transfer,
        name="shelter_transfer",
    ),
]

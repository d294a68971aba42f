from django.urls import path

from . import views

urlpatterns = [
    path("", views.shelter_board, name="shelter_board"),
    path("national/", views.shelter_national, name="shelter_national"),
    path("<str:code>/", views.shelter_detail, name="shelter_detail"),
    path("<str:code>/edit/", views.shelter_edit, name="shelter_edit"),
    path("<str:code>/admit/", views.shelter_admit, name="shelter_admit"),
    path(
        "<str:code>/families/<uuid:family>/discharge/",
        views.shelter_discharge,
        name="shelter_discharge",
    ),
    path(
        "<str:code>/families/<uuid:family>/transfer/",
        views.shelter_transfer,
        name="shelter_transfer",
    ),
]

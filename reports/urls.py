from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("rural-coverage/", views.rural_coverage, name="rural_coverage"),
    path("shelters/", views.shelters, name="shelters"),
    path("network/", views.network, name="network"),
    path("cases/", views.cases, name="cases"),
    path("activities/", views.activities, name="activities"),
    path("protection/", views.protection, name="protection"),
    path("open-data/", views.open_data, name="open_data"),
]

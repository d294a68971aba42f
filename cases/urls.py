from django.urls import path

from services import converters  # noqa: F401 - registers the `code` path converter

from . import views

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("new/", views.case_create, name="case_create"),
    path("repeat-check/", views.repeat_check, name="case_repeat_check"),
    path("<code:code>/", views.case_detail, name="case_detail"),
    path("<code:code>/edit/", views.case_edit, name="case_edit"),
    path("<code:code>/actions/new/", views.case_add_action, name="case_add_action"),
    path("<code:code>/referrals/new/", views.case_refer, name="case_refer"),
    path("<code:code>/close/", views.case_close, name="case_close"),
    path("<code:code>/reopen/", views.case_reopen, name="case_reopen"),
    # The legal clock: each record by its number, looked up among the case's own only.
    path("<code:code>/complaints/new/", views.case_add_complaint, name="case_add_complaint"),
    path(
        "<code:code>/complaints/<int:pk>/measures/new/",
        views.case_add_measure,
        name="case_add_measure",
    ),
    path(
        "<code:code>/complaints/<int:pk>/set-aside/",
        views.case_set_complaint_aside,
        name="case_set_complaint_aside",
    ),
    path(
        "<code:code>/measures/<int:pk>/edit/",
        views.case_update_measure,
        name="case_update_measure",
    ),
    path(
        "<code:code>/follow-ups/new/",
        views.case_schedule_follow_up,
        name="case_schedule_follow_up",
    ),
    path(
        "<code:code>/follow-ups/<int:pk>/done/",
        views.case_complete_follow_up,
        name="case_complete_follow_up",
    ),
    path(
        "<code:code>/follow-ups/<int:pk>/cancel/",
        views.case_cancel_follow_up,
        name="case_cancel_follow_up",
    ),
]

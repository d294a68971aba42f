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
]

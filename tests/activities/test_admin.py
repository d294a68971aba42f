"""Administrators find activities and read their audit trail in the admin, which changes
nothing and audits its reads too."""

from django.urls import reverse

from activities.models import AuditEntry


def test_the_admin_lists_and_shows_activities_read_only(cast, activities, as_user):
    client = as_user(cast.admin)
    listing = client.get(reverse("admin:activities_activity_changelist"), {"q": activities.a.code})
    assert listing.status_code == 200
    assert activities.a.code in listing.content.decode()
    page = client.get(reverse("admin:activities_activity_change", args=[activities.a.pk]))
    assert page.status_code == 200
    assert AuditEntry.objects.get(activity=activities.a, user=cast.admin).action == "view"
    trail = client.get(reverse("admin:activities_auditentry_changelist"))
    assert trail.status_code == 200 and activities.a.code in trail.content.decode()
    assert client.get(reverse("admin:activities_activity_add")).status_code == 403
    delete = reverse("admin:activities_activity_delete", args=[activities.a.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    activities.a.refresh_from_db()  # still there


def test_the_admin_is_for_administrators_only(cast, activities, as_user):
    for member in ("caseworker_a", "national_manager"):
        response = as_user(getattr(cast, member)).get(
            reverse("admin:activities_activity_changelist")
        )
        assert response.status_code == 302  # to the admin's login

"""django-axes as the admin shows it: a Spanish name, and its strings in our catalogue.

django-axes ships no Spanish translation, so its model and field names appeared in English in
the admin. Django looks a string up in every catalogue, ours first: listing axes' own msgids
here (with `gettext_noop`, which marks without translating) puts them in
locale/es/LC_MESSAGES/django.po at the next `make messages`, and axes' labels come out in
Spanish. Keep the list in step with axes/models.py and axes/admin.py when upgrading axes.
"""

from axes.apps import AppConfig as BaseAxesConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class AxesConfig(BaseAxesConfig):
    verbose_name = _("Login attempts")

    def ready(self):
        super().ready()
        # Two columns of axes' attempt list are methods without a label (Django would show
        # their English names); the admin has registered them by now (autodiscover runs in
        # the admin's ready(), which comes first in INSTALLED_APPS).
        from axes.admin import AccessAttemptAdmin

        AccessAttemptAdmin.status.short_description = _("Status")
        AccessAttemptAdmin.expiration.short_description = _("Expires At")

        # The attempt list with a status that knows both lockout limits (config/lockout.py).
        from axes.models import AccessAttempt
        from django.contrib import admin

        from config.lockout import LockoutAttemptAdmin

        admin.site.unregister(AccessAttempt)
        admin.site.register(AccessAttempt, LockoutAttemptAdmin)


AXES_STRINGS = [
    # axes/models.py
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Time"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Failed Logins"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Logout Time"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
    # axes/admin.py
    gettext_noop("Attempt Remaining"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Form Data"),
    gettext_noop("Locked Out"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
]

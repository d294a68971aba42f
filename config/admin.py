"""The administration site: for administrators (superusers) only."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class SuperuserAdminSite(admin.AdminSite):
    """Deny the whole admin to everyone but active superusers.

    Django's default lets any `is_staff` user in and then trusts model permissions; here the
    admin shows every case, resident and address in the country, so being staff with a view
    permission must not be enough.
    """

    site_header = site_title = _("Warmi Ñan: administration")
    index_title = _("Administration")

    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser


class SuperuserAdminConfig(AdminConfig):
    default_site = "config.admin.SuperuserAdminSite"

"""Login lockout: a person at an address, and an address across accounts (django-axes).

Axes counts failed logins per set of `AXES_LOCKOUT_PARAMETERS` and compares every set with one
limit. Two sets are used here, each with its own limit:

- the pair (username, address): `AXES_FAILURE_LIMIT` (5) failures lock that user *at that
  address* only, so a stranger elsewhere who types her username five times locks out nobody
  but himself;
- the address alone: `LOCKOUT_ADDRESS_FAILURE_LIMIT` (20) failures across any accounts lock
  the address, which stops one machine from trying a few passwords on many accounts. The
  limit is higher because a rural office often shares one public address among colleagues.

Axes has a single limit, so `LockoutHandler.get_failures` reports the address as having reached
the pair's limit once it has reached its own, and the pair's count otherwise.
"""

import ipaddress

from axes.admin import AccessAttemptAdmin
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import (
    get_client_username,
    get_cool_off,
    get_failure_limit,
    get_lockout_parameters,
)
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from services.addresses import person_address

ADDRESS = "ip_address"


# One IPv6 subscriber holds a whole /64 network: counted per address, a single attacker could
# take a fresh address for every attempt. IPv4 addresses are counted one by one.
IPV6_PREFIX = 64


def client_address(request) -> str | None:
    """The address lockouts count by (`AXES_CLIENT_IP_CALLABLE`): the person's address, an
    IPv6 one as the first address of its /64 network."""
    address = person_address(request)
    try:
        return _counted(ipaddress.ip_address(address))
    except (TypeError, ValueError):
        return address


def _counted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The address lockouts count by: itself, or for IPv6 the start of its /64 network."""
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    network = ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False)
    return str(network.network_address)


# Django's usernames are at most 150 characters (AbstractUser.username).
USERNAME_LENGTH = 150


def client_username(request, credentials=None) -> str | None:
    """The username axes counts failures for: as typed, cut to the longest username there can
    be and without NUL characters, so that what a stranger posts always fits axes' tables (a
    longer value made PostgreSQL refuse the row, a server error) and never names a real user
    it does not name already."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    if not isinstance(username, str):
        return username
    return username.replace("\x00", "")[:USERNAME_LENGTH]


def _failures(queryset) -> int:
    return queryset.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a separate, higher limit for the address alone."""

    def get_failures(self, request, credentials=None) -> int:
        """Failures toward the lockout: the pair's count, or the full limit for a throttled
        address (the pair is a subset of the address, so it never counts more)."""
        limit = get_failure_limit(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        worst = 0
        for parameter, queryset in zip(parameters, attempts, strict=True):
            failures = _failures(queryset)
            if parameter == ADDRESS:
                failures = limit if failures >= settings.LOCKOUT_ADDRESS_FAILURE_LIMIT else 0
            worst = max(worst, failures)
        return worst

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful login forget this user's failures at this address only.

        Axes would delete every set, the address's count across other accounts included: an
        attacker with one valid login could then wipe his address's count between rounds.
        """
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        ).delete()
        return count


def _recent_sum(**match):
    """Failures within the cool-off of the attempts matching the outer row on `match`."""
    rows = AccessAttempt.objects.filter(
        attempt_time__gte=timezone.now() - get_cool_off(),
        **{field: OuterRef(field) for field in match},
    )
    total = rows.values(*match).annotate(total=Sum("failures_since_start")).values("total")
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


class LockedOutFilter(admin.SimpleListFilter):
    """Attempts whose pair or address is locked now, by the limits LockoutHandler applies."""

    title = _("Locked Out")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("pair", _("User at this address")), ("address", _("The whole address"))]

    def queryset(self, request, queryset):
        if self.value() == "pair":
            return queryset.filter(pair_failures__gte=settings.AXES_FAILURE_LIMIT)
        if self.value() == "address":
            return queryset.filter(address_failures__gte=settings.LOCKOUT_ADDRESS_FAILURE_LIMIT)
        return queryset


class LockoutAttemptAdmin(AccessAttemptAdmin):
    """Axes' attempt list, with a status that knows both limits.

    Axes' own status compares each row (one user agent) with the pair's limit, so it showed an
    address throttled across twenty accounts as "4 attempts remaining" on every row.
    """

    list_display = [*AccessAttemptAdmin.list_display]
    list_filter = ["attempt_time", LockedOutFilter, "path_info"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                pair_failures=_recent_sum(username=True, ip_address=True),
                address_failures=_recent_sum(ip_address=True),
            )
        )

    @admin.display(description=_("Status"))
    def status(self, obj):
        if obj.address_failures >= settings.LOCKOUT_ADDRESS_FAILURE_LIMIT:
            return _("Locked out: the whole address")
        if obj.pair_failures >= settings.AXES_FAILURE_LIMIT:
            return _("Locked out: this user at this address")
        left = settings.AXES_FAILURE_LIMIT - obj.pair_failures
        return ngettext("%(left)d attempt remaining", "%(left)d attempts remaining", left) % {
            "left": left
        }

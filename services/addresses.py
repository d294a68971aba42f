"""Where a request comes from: the client's address, for every audit trail.

The address is the person's as the nearest of our proxies saw it (`person_address`), the same
one the lockout counts by (`config.lockout.client_address`, which takes an IPv6 address's /64
network), so that the lockout log and the audit trails name the same person for one request.

The views that write audit entries run inside `requested_from(request)` (`scope_required`, the
field API); the entries take the address from there as their default (`LogEntry.ip_address`),
so that no action needs the request passed down. Outside a request (an import run from the
shell, a task) there is no address, and the entry says none.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

_client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def person_address(request: HttpRequest) -> str | None:
    """The address of the person, as the nearest of our proxies saw it.

    Without a proxy (`TRUSTED_PROXY_COUNT` 0) that is REMOTE_ADDR. Behind N proxies that each
    append to X-Forwarded-For, it is the N-th entry from the right: the left part of the header
    is whatever the client sent, and would let an attacker pick a new address per attempt. A
    header shorter than N, or a value that is not an address, falls back to REMOTE_ADDR.
    The lockout counts by the same address (`config.lockout.client_address`).
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if not count:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for the audit trails; None when it is not an address."""
    try:
        return str(ipaddress.ip_address((person_address(request) or "").strip()))
    except ValueError:
        return None


def current_client_ip() -> str | None:
    """The address of the request being answered, if any (the default of `LogEntry.ip_address`)."""
    return _client_ip.get()


@contextmanager
def requested_from(request: HttpRequest) -> Iterator[str | None]:
    """Let the audit entries written while answering `request` carry its client's address."""
    token = _client_ip.set(client_ip(request))
    try:
        yield _client_ip.get()
    finally:
        _client_ip.reset(token)

"""Login lockout: a stranger cannot lock a caseworker out; an address trying many accounts stops.

The figure "lockout by a stranger: impossible" is
`test_a_stranger_failing_on_her_account_does_not_lock_her_out_elsewhere`.
"""

import pytest
from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.factories import UserFactory

LOGIN = reverse("login")
HER = "10.0.0.1"
STRANGER = "203.0.113.66"
ELSEWHERE = "198.51.100.7"


def attempt(client, username, password, address, **extra):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("home")


def test_a_stranger_failing_on_her_account_does_not_lock_her_out_elsewhere(client, cast):
    for number in range(3 * settings.AXES_FAILURE_LIMIT):
        attempt(client, "caseworker_a", "guess", STRANGER, HTTP_USER_AGENT=f"agent/{number}")
    # He is locked out at his address, her right password and a new user agent notwithstanding...
    locked = attempt(client, "caseworker_a", PASSWORD, STRANGER, HTTP_USER_AGENT="agent/new")
    assert locked.status_code == 429
    assert "Cuenta bloqueada" in locked.content.decode()
    assert "_auth_user_id" not in client.session

    # ...and she is not.
    assert logged_in(attempt(client, "caseworker_a", PASSWORD, HER))


def test_five_failures_lock_her_at_her_address_only(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "caseworker_a", "typo", HER).status_code == 200
    assert attempt(client, "caseworker_a", "typo", HER).status_code == 429

    assert attempt(client, "caseworker_a", PASSWORD, HER).status_code == 429
    assert logged_in(attempt(client, "caseworker_a", PASSWORD, ELSEWHERE))


@pytest.mark.parametrize(("accounts", "tries_each"), [(20, 1), (8, 4), (5, 4)])
def test_one_address_trying_many_accounts_is_stopped(client, cast, accounts, tries_each):
    """20 accounts once each, or the review's probe (8 accounts x 4): the 20th failure locks
    the address, although no account reached 5 failures."""
    usernames = [UserFactory(username=f"staff{number:02d}").username for number in range(accounts)]
    answers = [
        attempt(client, username, "guess", STRANGER).status_code
        for _ in range(tries_each)
        for username in usernames
    ]
    limit = settings.LOCKOUT_ADDRESS_FAILURE_LIMIT
    assert answers[: limit - 1] == [200] * (limit - 1)
    assert set(answers[limit - 1 :]) == {429}

    # The address is stopped, even for someone's right password...
    assert attempt(client, "caseworker_b", PASSWORD, STRANGER).status_code == 429
    # ...and nobody else is.
    assert logged_in(attempt(client, "caseworker_b", PASSWORD, ELSEWHERE))


def test_a_success_forgets_only_her_own_failures_at_that_address(client, cast):
    """An attacker with one valid login (the outsider) cannot reset his address between rounds;
    his own typos, forgotten by his success, leave room for exactly that many more."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "outsider", "typo", STRANGER)
    others = settings.LOCKOUT_ADDRESS_FAILURE_LIMIT - settings.AXES_FAILURE_LIMIT
    for number in range(others):
        attempt(client, f"victim{number:02d}", "guess", STRANGER)
    # 19 failures at the address: not yet locked, so his login goes through.
    assert logged_in(attempt(client, "outsider", PASSWORD, STRANGER))
    client.post(reverse("logout"))

    answers = [
        attempt(client, f"victim{number:02d}", "guess", STRANGER).status_code
        for number in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]


def test_every_lockout_is_logged_for_the_admin(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "caseworker_a", "guess", STRANGER)
    for number in range(settings.LOCKOUT_ADDRESS_FAILURE_LIMIT):
        attempt(client, f"nobody{number}", "guess", ELSEWHERE)

    locks = AccessFailureLog.objects.filter(locked_out=True)
    assert set(locks.values_list("username", "ip_address")) == {
        ("caseworker_a", STRANGER),
        (f"nobody{settings.LOCKOUT_ADDRESS_FAILURE_LIMIT - 1}", ELSEWHERE),
    }
    assert AccessFailureLog.objects.count() == (
        settings.AXES_FAILURE_LIMIT + settings.LOCKOUT_ADDRESS_FAILURE_LIMIT
    )


def test_the_admin_shows_which_lock_holds(client, cast, as_user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "caseworker_a", "guess", STRANGER)
    for number in range(settings.LOCKOUT_ADDRESS_FAILURE_LIMIT):
        attempt(client, f"nobody{number}", "guess", ELSEWHERE)
    attempt(client, "caseworker_b", "typo", HER)
    admin = as_user(cast.admin)
    attempts = reverse("admin:axes_accessattempt_changelist")

    page = admin.get(attempts).content.decode()
    assert page.count("Bloqueado: toda la dirección") == settings.LOCKOUT_ADDRESS_FAILURE_LIMIT
    assert page.count("Bloqueado: este usuario en esta dirección") == 1
    assert "4 intentos restantes" in page

    by_address = admin.get(attempts, {"locked": "address"}).content.decode()
    assert ELSEWHERE in by_address
    assert STRANGER not in by_address
    by_pair = admin.get(attempts, {"locked": "pair"}).content.decode()
    assert STRANGER in by_pair
    assert HER not in by_pair

    failures = admin.get(
        reverse("admin:axes_accessfailurelog_changelist"), {"locked_out__exact": "1"}
    )
    assert failures.status_code == 200
    assert "caseworker_a" in failures.content.decode()

    # Superusers only: a staff member with every axes permission is sent to the admin's login.
    staff = UserFactory(username="staff_not_super", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="axes"))
    other = Client()
    other.force_login(staff)
    for model in ("accessattempt", "accessfailurelog", "accesslog"):
        url = reverse(f"admin:axes_{model}_changelist")
        assert admin.get(url).status_code == 200
        response = other.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


class TestBehindAProxy:
    """In production every request reaches the application from the TLS proxy's address."""

    PROXY = "127.0.0.1"

    @pytest.fixture(autouse=True)
    def _one_proxy(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1

    def attempt(self, client, username, password, forwarded):
        return attempt(client, username, password, self.PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    def test_a_stranger_cannot_lock_her_out_nor_dodge_his_own_lock(self, client, cast):
        # He forges the left part of X-Forwarded-For; the proxy appends his real address.
        for number in range(3 * settings.AXES_FAILURE_LIMIT):
            self.attempt(client, "caseworker_a", "guess", f"192.0.2.{number}, {STRANGER}")
        assert self.attempt(client, "caseworker_a", PASSWORD, STRANGER).status_code == 429

        assert logged_in(self.attempt(client, "caseworker_a", PASSWORD, ELSEWHERE))


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "10.9.9.9"),  # no proxy: the header is the client's own, ignored
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "192.0.2.99, 192.0.2.1", "192.0.2.1"),  # the left part is forged by the client
        (2, "192.0.2.99, 192.0.2.1, 10.0.0.2", "192.0.2.1"),
        (2, "192.0.2.1", "10.9.9.9"),  # shorter than the chain of proxies: misconfigured
        (1, "not-an-address", "10.9.9.9"),
        (1, "", "10.9.9.9"),
        (1, " 2001:db8::1 ", "2001:db8::"),  # IPv6: its /64 network
    ],
)
def test_the_client_address_is_what_the_nearest_proxy_saw(settings, proxies, forwarded, expected):
    from config.lockout import client_address

    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_addresses_of_one_ipv6_network_count_as_one(rf, settings):
    """An IPv6 subscriber holds a whole /64: rotating addresses inside it is the same address
    for the lockout, so the pair and the address limits still hold."""
    from config.lockout import client_address

    settings.TRUSTED_PROXY_COUNT = 0
    first = rf.post("/", REMOTE_ADDR="2001:db8:1:2::1")
    second = rf.post("/", REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:fffe")
    elsewhere = rf.post("/", REMOTE_ADDR="2001:db8:1:3::1")
    ipv4 = rf.post("/", REMOTE_ADDR="10.0.0.7")

    assert client_address(first) == client_address(second) == "2001:db8:1:2::"
    assert client_address(elsewhere) != client_address(first)
    assert client_address(ipv4) == "10.0.0.7"

"""Requests per second of the national manager's case list against a bare Django page.

    python manage.py bench_case_list [--seconds 15] [--clients 4] [--workers 2] [--rounds 2]

Starts gunicorn (`--workers` sync workers, debug off) on this database with
config/bench_settings.py, which adds the baseline page `/bench/bare-cases/`: a Paginator over
every case with its count, `select_related` and a plain template, what a peer would write.
Both pages are requested as the same national manager (a session made here), by `--clients`
threads for `--seconds` each, alternating, `--rounds` times; it prints each page's requests per
second, its size and the ratio. The goal is at least 2× the bare page.
"""

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from services.benchguard import national_manager, require_bench_database

PAGES = {"case list": "/cases/", "bare page": "/bench/bare-cases/"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, cookie: str) -> tuple[int, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


class Command(BaseCommand):
    help = "Requests/s of the national case list and of a bare Django page, under gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=15)
        parser.add_argument("--clients", type=int, default=4)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--rounds", type=int, default=2)

    def handle(self, *args, seconds, clients, workers, rounds, **options):
        require_bench_database()
        user = national_manager()
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.bench_settings",
            "DJANGO_DEBUG": "0",
            # The session made here is signed with this process's key.
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
        }
        # Debug off serves the static files' manifest, as in production: collect them first.
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py, fixed arguments
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            env=env,
            cwd=settings.BASE_DIR,
            check=True,
        )
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen(  # noqa: S603 - our own interpreter's gunicorn, fixed arguments
            [
                str(gunicorn),
                "config.wsgi",
                f"--workers={workers}",
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
            ],
            env=env,
            cwd=settings.BASE_DIR,
        )
        try:
            self._wait(port, cookie)
            sizes = {}
            for name, path in PAGES.items():
                status, sizes[name] = _get(port, path, cookie)
                if status != 200:
                    raise CommandError(f"{path} answered {status}")
            done = dict.fromkeys(PAGES, 0)
            spent = dict.fromkeys(PAGES, 0.0)
            for _ in range(rounds):
                for name, path in PAGES.items():
                    count, elapsed = self._load(port, path, cookie, clients, seconds)
                    done[name] += count
                    spent[name] += elapsed
        finally:
            server.terminate()
            server.wait(timeout=30)
            session.delete()
        rates = {name: done[name] / spent[name] for name in PAGES}
        self.stdout.write(
            f"{Case.objects.count():,} cases; gunicorn {workers} sync workers, {clients} clients, "
            f"{rounds} × {seconds:g} s per page"
        )
        for name, path in PAGES.items():
            self.stdout.write(
                f"{name:<10} {path:<20} {rates[name]:>7.1f} req/s  {sizes[name]:>8,} bytes"
            )
        ratio = rates["case list"] / rates["bare page"]
        verdict = "met" if ratio >= 2 else "not met"
        self.stdout.write(f"ratio case list / bare page: {ratio:.2f}× (goal ≥ 2×: {verdict})")

    def _wait(self, port: int, cookie: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                _get(port, "/bench/bare-cases/", cookie)
                return
            except OSError:
                time.sleep(0.2)
        raise CommandError("gunicorn did not answer within 60 s")

    def _load(self, port, path, cookie, clients, seconds) -> tuple[int, float]:
        count = 0
        lock = threading.Lock()
        failures = []
        stop = time.monotonic() + seconds

        def client():
            nonlocal count
            while time.monotonic() < stop:
                status, _size = _get(port, path, cookie)
                if status != 200:
                    failures.append(status)
                    return
                with lock:
                    count += 1

        started = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise CommandError(f"{path} answered {failures[0]}")
        return count, time.monotonic() - started

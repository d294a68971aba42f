"""The live server the browser tests drive: one request at a time on SQLite's
database (see `OneRequestAtATimeOnSQLite`)."""

import threading

from django.db import connection

from .conftest import OneRequestAtATimeOnSQLite, _one_at_a_time


def test_the_live_server_is_the_serializing_one(live_server):
    server = live_server.thread.httpd
    assert isinstance(server, OneRequestAtATimeOnSQLite)
    assert server.serializes == (connection.vendor == "sqlite")
    wrapped = getattr(server.get_app(), "__name__", "") == "serialized"
    assert wrapped == server.serializes


def test_a_second_request_waits_for_the_first_to_finish():
    inside, overlaps = [], []
    entered, release = threading.Event(), threading.Event()

    def app(environ, start_response):
        if inside:
            overlaps.append(environ["PATH_INFO"])
        inside.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] == "/first":
            entered.set()
            release.wait(5)
        inside.remove(environ["PATH_INFO"])
        return iter([b"o", b"k"])

    serialized = _one_at_a_time(app)
    bodies = {}

    def call(path):
        bodies[path] = serialized({"PATH_INFO": path}, None)

    first = threading.Thread(target=call, args=("/first",))
    first.start()
    assert entered.wait(5)
    second = threading.Thread(target=call, args=("/second",))
    second.start()
    second.join(0.3)
    assert second.is_alive()  # held back while the first runs
    release.set()
    first.join(5)
    second.join(5)
    assert overlaps == []
    assert bodies == {"/first": [b"o", b"k"], "/second": [b"o", b"k"]}

"""submit_once: a form sent twice with the same key runs its write once."""

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import BadRequest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone, translation

from services import submissions
from services.models import Submission
from services.submissions import forget_old_submissions, submit_once

ALREADY_SENT = "This form had already been sent: nothing was stored twice."


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


class Write:
    """A write that counts its runs and answers `/result/<run>/`."""

    def __init__(self):
        self.runs = 0

    def __call__(self) -> str:
        self.runs += 1
        return f"/result/{self.runs}/"


def post(user, data):
    request = RequestFactory().post("/form/", data)
    request.user = user
    request._messages = CookieStorage(request)
    return request


def said(request) -> list[str]:
    return [str(message) for message in get_messages(request)]


def test_the_same_key_twice_runs_the_write_once_and_answers_the_first_result(cast):
    key = str(uuid.uuid4())
    write = Write()

    first = submit_once(post(cast.caseworker_a, {"submission_token": key}), write)
    again = post(cast.caseworker_a, {"submission_token": key})
    second = submit_once(again, write)

    assert write.runs == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == "/result/1/"
    assert said(again) == [ALREADY_SENT]
    stored = Submission.objects.get()
    assert (stored.key, stored.user, stored.result_url) == (
        uuid.UUID(key),
        cast.caseworker_a,
        "/result/1/",
    )


def test_another_users_key_is_refused_and_runs_nothing(cast):
    key = str(uuid.uuid4())
    write = Write()
    submit_once(post(cast.caseworker_a, {"submission_token": key}), write)

    with pytest.raises(BadRequest):
        submit_once(post(cast.caseworker_b, {"submission_token": key}), write)

    assert write.runs == 1
    assert Submission.objects.get().user == cast.caseworker_a


@pytest.mark.parametrize("token", ["not-a-uuid", "", "1234", "' OR 1=1 --"])
def test_a_malformed_key_is_refused_and_runs_nothing(cast, token):
    write = Write()
    with pytest.raises(BadRequest):
        submit_once(post(cast.caseworker_a, {"submission_token": token}), write)
    assert write.runs == 0
    assert not Submission.objects.exists()


def test_without_a_key_the_write_runs_every_time(cast):
    write = Write()
    for _ in range(2):
        response = submit_once(post(cast.caseworker_a, {}), write)
    assert write.runs == 2
    assert response["Location"] == "/result/2/"
    assert not Submission.objects.exists()


def test_a_refused_write_releases_its_key(cast):
    """A rule that refuses the write rolls the key back with it: sending again may succeed."""
    key = str(uuid.uuid4())

    def refused():
        raise ValueError("refused by a rule")

    with pytest.raises(ValueError, match="refused by a rule"):
        submit_once(post(cast.caseworker_a, {"submission_token": key}), refused)
    assert not Submission.objects.exists()

    write = Write()
    submit_once(post(cast.caseworker_a, {"submission_token": key}), write)
    assert write.runs == 1


def test_a_repeat_that_passed_the_check_meets_the_unique_key(cast, monkeypatch):
    """The race: both passed the check before either committed. The database's unique key
    stops the second before its write, and it answers the first result."""
    key = uuid.uuid4()
    Submission.objects.create(key=key, user=cast.caseworker_a, result_url="/result/first/")
    monkeypatch.setattr(submissions, "repeated_submission", lambda request: None)
    write = Write()
    request = post(cast.caseworker_a, {"submission_token": str(key)})

    response = submit_once(request, write)

    assert write.runs == 0
    assert response["Location"] == "/result/first/"
    assert said(request) == [ALREADY_SENT]
    assert Submission.objects.count() == 1


def test_keys_older_than_a_year_are_swept(cast):
    # A device may sync long after its answer was lost: a month-old key still counts.
    old = Submission.objects.create(key=uuid.uuid4(), user=cast.caseworker_a, result_url="/a/")
    recent = Submission.objects.create(key=uuid.uuid4(), user=cast.caseworker_a, result_url="/b/")
    Submission.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=366))
    Submission.objects.filter(pk=recent.pk).update(created_at=timezone.now() - timedelta(days=40))

    assert forget_old_submissions() == 1
    assert list(Submission.objects.all()) == [recent]


def test_the_template_tag_gives_each_form_a_new_key():
    template = Template("{% load submissions %}{% submission_token %}")
    first, second = (template.render(Context()) for _ in range(2))
    pattern = (
        r'<input type="hidden" name="submission_token" '
        r'value="([0-9a-f-]{36})" data-saving="Saving…">'
    )
    keys = [re.fullmatch(pattern, html).group(1) for html in (first, second)]
    assert keys[0] != keys[1]
    assert uuid.UUID(keys[0]).version == 4

"""services.submissions.claim_once: the one implementation of "store once per key"."""

import uuid

import pytest

from services.models import Submission
from services.submissions import SubmissionKeyRefused, claim_once, stored_result


class Write:
    def __init__(self):
        self.runs = 0

    def __call__(self) -> str:
        self.runs += 1
        return f"/result/{self.runs}/"


def test_the_first_claim_runs_the_write_and_a_repeat_answers_its_result(cast):
    key, write = uuid.uuid4(), Write()

    first = claim_once(user=cast.caseworker_a, key=key, perform=write)
    second = claim_once(user=cast.caseworker_a, key=key, perform=write)

    assert first == (True, "/result/1/")
    assert second == (False, "/result/1/")
    assert write.runs == 1
    assert stored_result(user=cast.caseworker_a, key=key) == "/result/1/"


def test_a_new_key_has_no_result(cast):
    assert stored_result(user=cast.caseworker_a, key=uuid.uuid4()) is None


def test_another_users_key_is_refused(cast):
    key, write = uuid.uuid4(), Write()
    claim_once(user=cast.caseworker_a, key=key, perform=write)

    with pytest.raises(SubmissionKeyRefused):
        stored_result(user=cast.caseworker_b, key=key)
    with pytest.raises(SubmissionKeyRefused):
        claim_once(user=cast.caseworker_b, key=key, perform=write)
    assert write.runs == 1


def test_a_refused_write_releases_the_key(cast):
    key = uuid.uuid4()

    def refused():
        raise ValueError("a rule said no")

    with pytest.raises(ValueError, match="a rule said no"):
        claim_once(user=cast.caseworker_a, key=key, perform=refused)

    assert not Submission.objects.exists()
    assert claim_once(user=cast.caseworker_a, key=key, perform=Write()) == (True, "/result/1/")

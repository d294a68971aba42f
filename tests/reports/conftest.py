import pytest

from tests.reports.activity_world import build_world


@pytest.fixture
def world(cast):
    """The hand-made activities of `tests/reports/activity_world.py`, stored."""
    return build_world(cast)

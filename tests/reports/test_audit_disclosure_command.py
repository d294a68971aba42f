"""`manage.py audit_disclosure`: the old rule's weakness is found; the new control has none."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.factories import CareServiceFactory, CaseFactory


@pytest.fixture
def the_issues_row(cast):
    """2023, one SAR row: violence types [0, 5, 8, 1], total 14, which the old rule published
    as [0, X, 8, <5]: X = 5 and <5 = 1 could be worked out. And a service named like a formula."""
    for violence_type, count in ((1, 5), (2, 8), (3, 1)):
        for _ in range(count):
            CaseFactory(service=cast.service_a, violence_type=violence_type)
    trap = CareServiceFactory(kind="CEM", name="=1+1", district=cast.service_b.district)
    for _ in range(5):
        CaseFactory(service=trap)


def figures(output: str, label: str) -> dict[str, int]:
    (line,) = [line for line in output.splitlines() if line.startswith(label + ":")]
    parts = [part.rsplit(" ", 1) for part in line.split(": ", 1)[1].split(", ")]
    return {name: int(value) for name, value in parts if value.isdigit()}


def run(*args) -> str:
    out = StringIO()
    call_command("audit_disclosure", "--year", "2023", *args, stdout=out)
    return out.getvalue()


def test_the_old_rule_leaves_recoverable_cells_and_small_counts(the_issues_row):
    output = run("--legacy")
    open_data = figures(output, "ALL open data")
    assert open_data["recoverable by LP"] == 2
    downloads = figures(output, "ALL downloads")
    assert downloads["exact 1-4 shown"] > 0
    assert figures(output, "ALL files")["formula cells"] > 0


def test_the_control_leaves_nothing_recoverable(the_issues_row):
    output = run()
    assert "Total time:" in output
    every = figures(output, "ALL files")
    # open data; the downloads (4 reports, 8 case and 4 activity breakdowns) of the country and
    # of its 2 regions
    assert every["files"] == 1 + 3 * (4 + 8 + 4)
    assert every["hidden cells"] > 0
    assert every["recoverable by LP"] == 0
    assert every["narrower than [0,5]"] == 0
    assert every["failing audit"] == 0
    assert every["exact 1-4 shown"] == 0
    assert every["formula cells"] == 0

"""Demo shelters and stays for seed_demo: plausible, within the rules, idempotent."""

from datetime import date

from shelters.demo import seed_shelters, seed_stays
from shelters.models import Shelter, Stay

TODAY = date(2024, 6, 1)


def test_demo_shelters_and_stays_keep_the_rules_and_a_rerun_adds_nothing(cast):
    shelters = seed_shelters(seed=7, regions=["08", "21", "99"])
    assert [s.code for s in shelters] == ["HRT-081201", "HRT-210101"]
    added = seed_stays(seed=7, shelters=shelters, today=TODAY)
    assert added > 0
    for shelter in Shelter.objects.with_occupancy():
        assert 0 < shelter.occupied <= shelter.capacity
    assert Stay.objects.filter(discharged_on__isnull=False).exists()
    assert not Stay.objects.filter(discharged_on__gt=TODAY).exists()
    # A rerun brings the shelters back to the same state and adds no stay.
    assert [s.pk for s in seed_shelters(seed=7, regions=["08", "21"])] == [s.pk for s in shelters]
    assert seed_stays(seed=7, shelters=shelters, today=TODAY) == 0
    assert Stay.objects.count() == added

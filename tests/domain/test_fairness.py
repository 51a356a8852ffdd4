"""The fair queue's rules, alone (domain/fairness.py): turns, priorities, the model a worker takes next,
and the estimates a client is shown."""

from datetime import UTC, datetime, timedelta

import pytest

from sfumato.domain.errors import PlanForbidden
from sfumato.domain.fairness import (
    ModelWork,
    Place,
    check_priority,
    estimate_start,
    model_order,
    next_turn,
    rank,
    retry_after,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_a_job_on_an_empty_queue_takes_its_images_over_its_weight() -> None:
    assert next_turn(None, None, images=2, weight=4) == 0.5


def test_a_key_that_starts_sending_begins_at_the_queues_front_not_behind_a_flood() -> None:
    flooder = [next_turn(None, None, 1, 1)]
    for _ in range(199):
        flooder.append(next_turn(flooder[0], flooder[-1], 1, 1))
    assert flooder[-1] == 200
    newcomer = next_turn(flooder[0], None, 1, 1)
    assert newcomer == 2  # one of the flood's turns before it, not 199
    assert sum(turn < newcomer for turn in flooder) == 1


def test_a_keys_own_last_turn_comes_before_its_next() -> None:
    assert next_turn(3.0, 10.0, 1, 1) == 11.0
    assert next_turn(12.0, 10.0, 1, 1) == 13.0  # the queue moved past it: it starts at the front


def test_keys_flooding_together_get_turns_in_the_ratio_of_their_weights() -> None:
    turns: dict[str, list[float]] = {"enterprise": [], "professional": [], "starter": []}
    weights = {"enterprise": 4, "professional": 2, "starter": 1}
    for _ in range(100):
        for key, weight in weights.items():
            last = turns[key][-1] if turns[key] else None
            turns[key].append(next_turn(0.0, last, 1, weight))
    first_70 = sorted((turn, key) for key, own in turns.items() for turn in own)[:70]
    served = {key: sum(1 for _, owner in first_70 if owner == key) for key in weights}
    assert served == {"enterprise": 40, "professional": 20, "starter": 10}


def test_priorities_rank_high_first_and_a_plan_bounds_the_highest() -> None:
    assert [rank("high"), rank("normal"), rank("low")] == [0, 1, 2]
    check_priority("normal", "normal", "starter")
    check_priority("low", "normal", "starter")
    check_priority("high", "high", "professional")
    with pytest.raises(PlanForbidden) as refused:
        check_priority("high", "normal", "starter")
    assert refused.value.param == "priority"
    assert "starter" in refused.value.message
    with pytest.raises(PlanForbidden):
        check_priority("normal", "low", "starter")


def test_a_worker_stays_with_its_loaded_models_until_another_has_waited_past_the_bound() -> None:
    loaded = ModelWork("tiny", waited=30.0, resident=True)
    other = ModelWork("flux", waited=50.0, resident=False)
    assert model_order([other, loaded], switch_after=60.0) == ["tiny", "flux"]
    assert model_order([other, loaded], switch_after=None) == ["tiny", "flux"]
    overdue = ModelWork("flux", waited=61.0, resident=False)
    assert model_order([loaded, overdue], switch_after=60.0) == ["flux", "tiny"]


def test_among_models_alike_the_longest_wait_comes_first() -> None:
    work = [ModelWork("a", 5.0, True), ModelWork("b", 9.0, True), ModelWork("c", 1.0, False)]
    assert model_order(work, switch_after=60.0) == ["b", "a", "c"]
    idle = [ModelWork("a", 5.0, False), ModelWork("b", 9.0, False)]
    assert model_order(idle, switch_after=60.0) == ["b", "a"]  # nothing loaded has work: the oldest


def test_a_start_is_estimated_from_the_recent_rate_and_not_without_one() -> None:
    assert estimate_start(10, jobs_per_second=2.0, now=NOW) == NOW + timedelta(seconds=5)
    assert estimate_start(0, jobs_per_second=2.0, now=NOW) == NOW
    assert estimate_start(10, jobs_per_second=0.0, now=NOW) is None


def test_a_full_queue_is_retried_when_the_keys_next_job_starts() -> None:
    assert retry_after(Place(7, NOW + timedelta(seconds=12.2)), NOW) == 13
    assert retry_after(Place(0, NOW - timedelta(seconds=3)), NOW) == 1  # overdue: at once, never 0
    assert retry_after(Place(3, None), NOW) == 5
    assert retry_after(None, NOW, fallback=7) == 7

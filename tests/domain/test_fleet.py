"""The fleet as heartbeats tell it (domain/fleet.py): which models the live workers serve, how many serve
each, whether one holds it in memory, and the process's own models first."""

from datetime import UTC, datetime, timedelta

from sfumato.domain.fleet import FleetModel, Heartbeat, alive_since, fleet_models

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def beat(name: str, models: list[str], loaded: list[str]) -> Heartbeat:
    return Heartbeat(name, models, loaded, NOW - timedelta(minutes=5), NOW)


def test_each_model_counts_the_workers_serving_it_and_is_loaded_if_one_holds_it() -> None:
    beats = [beat("a", ["tiny", "tiny-flux"], ["tiny"]), beat("b", ["tiny-flux", "tiny-sd3"], [])]
    assert fleet_models(beats) == [
        FleetModel("tiny", 1, True),
        FleetModel("tiny-flux", 2, False),
        FleetModel("tiny-sd3", 1, False),
    ]


def test_the_processs_own_models_lead_in_their_order_even_with_no_worker() -> None:
    beats = [beat("a", ["alpha", "tiny"], ["alpha"])]
    assert fleet_models(beats, first=["zeta", "tiny"]) == [
        FleetModel("zeta", 0, False),
        FleetModel("tiny", 1, False),
        FleetModel("alpha", 1, True),
    ]


def test_a_loaded_model_the_worker_does_not_serve_and_a_repeated_one_count_once() -> None:
    assert fleet_models([beat("a", ["tiny", "tiny"], ["tiny", "gone"])]) == [FleetModel("tiny", 1, True)]


def test_a_worker_is_alive_until_it_has_missed_three_beats() -> None:
    assert alive_since(NOW, 5.0) == NOW - timedelta(seconds=15)

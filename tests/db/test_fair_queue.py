"""The fair queue below the services (db/claims.py, db/places.py): keys served by turns, weights, priorities
within a key, models a worker serves, and a job's position, on both databases."""

import threading
from dataclasses import replace

from sfumato.db.claims import Wanted
from sfumato.db.places import QueuePlaces
from sfumato.db.queue import JobQueue
from sfumato.db.tables import JobRow
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.ids import new_id
from sfumato.domain.models import MODELS
from tests.conftest import ManualClock
from tests.db.test_idempotency import second_key


def send(
    queue: JobQueue,
    key_id: str,
    count: int = 1,
    *,
    weight: float = 1.0,
    model: str = "tiny",
    **fields: object,
) -> list[str]:
    """Queue `count` jobs of the key, one after another, as the generation service does."""
    values = {"prompt": "p", "width": 256, "height": 256} | fields
    ids = []
    for _ in range(count):
        params = GenerationRequest(**values).resolve(MODELS["tiny"], seed=0)  # type: ignore[arg-type]
        with queue.db.write() as session:
            job = queue.add(
                session,
                job_id=new_id("job"),
                key_id=key_id,
                params=replace(params, model=model),
                weight=weight,
            )
        ids.append(job.id)
    return ids


def owners(queue: JobQueue, job_ids: list[str]) -> list[str]:
    with queue.db.read() as session:
        return [session.get(JobRow, job_id).key_id for job_id in job_ids]  # type: ignore[union-attr]


def test_a_key_that_sends_while_another_floods_is_in_the_next_batch(queue: JobQueue, key_id: str) -> None:
    flood = send(queue, key_id, 40)
    first = queue.claim_batch("w", 4)
    assert [job.id for job in first] == flood[:4]
    other = second_key(queue.db, key_id)
    (late,) = send(queue, other)
    assert late in [job.id for job in queue.claim_batch("w", 4)]  # not behind the 36 left


def test_a_job_that_cannot_share_a_batch_with_the_flood_waits_one_batch_not_the_flood(
    queue: JobQueue, key_id: str
) -> None:
    send(queue, key_id, 40)
    queue.claim_batch("w", 4)
    (late,) = send(queue, second_key(queue.db, key_id), width=512)
    batches = [[job.id for job in queue.claim_batch("w", 4)] for _ in range(2)]
    assert late not in batches[0] and batches[1] == [late]


def test_keys_flooding_together_are_served_in_the_ratio_of_their_weights(
    queue: JobQueue, key_id: str
) -> None:
    keys = {key_id: 4.0, second_key(queue.db, key_id): 2.0, second_key(queue.db, key_id): 1.0}
    for _ in range(30):  # the three send at once, one job each in turn
        for key, weight in keys.items():
            send(queue, key, weight=weight)
    claimed = [job.id for _ in range(5) for job in queue.claim_batch("w", 7)]
    served = owners(queue, claimed)
    # 35 jobs at weights 4:2:1 are 20, 10 and 5; each key is within one job of its share (a key that starts
    # sending after another's first job is queued starts at that job's turn, not at nought).
    assert [abs(served.count(key) - share) <= 1 for key, share in zip(keys, (20, 10, 5), strict=True)] == [
        True,
        True,
        True,
    ]


def test_a_lone_key_takes_every_batch_in_the_order_it_sent(queue: JobQueue, key_id: str) -> None:
    jobs = send(queue, key_id, 12)
    assert [job.id for _ in range(3) for job in queue.claim_batch("w", 4)] == jobs


def test_a_keys_jobs_run_by_priority_then_age_in_the_keys_own_turns(queue: JobQueue, key_id: str) -> None:
    other = second_key(queue.db, key_id)
    normal = send(queue, key_id, 3)
    send(queue, other, 6)
    low = send(queue, key_id, priority="low")
    high = send(queue, key_id, priority="high")
    order = [job.id for _ in range(11) for job in queue.claim("w", 1)]
    assert [job_id for job_id in order if job_id in normal + low + high] == high + normal + low
    # The high job took the key's first turn, not a place ahead of the other key's: shares stay even.
    assert owners(queue, order[:5]).count(key_id) == 3


def test_a_worker_takes_only_jobs_of_the_models_it_serves(queue: JobQueue, key_id: str) -> None:
    theirs = send(queue, key_id, 3, model="flux-x")
    mine = send(queue, key_id, 3)
    assert [job.id for job in queue.claim_batch("w", 8, wanted=Wanted(("tiny",)))] == mine
    assert queue.claim_batch("w", 8, wanted=Wanted(("tiny",))) == []
    assert not queue.has_queued(["tiny"]) and queue.has_queued(["flux-x"])
    assert [job.id for job in queue.claim_batch("w2", 8, wanted=Wanted(("flux-x",)))] == theirs


def test_a_batch_never_mixes_models(queue: JobQueue, key_id: str) -> None:
    tiny = send(queue, key_id, 2)
    other = send(queue, key_id, 2, model="flux-x")
    both = Wanted(("tiny", "flux-x"))
    batches = [sorted(job.id for job in queue.claim_batch("w", 8, wanted=both)) for _ in range(2)]
    assert sorted(batches) == sorted([sorted(tiny), sorted(other)])


def test_a_worker_keeps_to_its_loaded_model_until_another_waits_past_the_bound(
    queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    waiting = send(queue, key_id, 1, model="flux-x")
    clock.advance(seconds=30)
    loaded = send(queue, key_id, 2)
    prefers = Wanted(("tiny", "flux-x"), resident=("tiny",), switch_after=60)
    assert [job.id for job in queue.claim_batch("w", 1, wanted=prefers)] == loaded[:1]  # flux-x is older
    clock.advance(seconds=31)  # flux-x's job has now waited 61 s
    assert [job.id for job in queue.claim_batch("w", 1, wanted=prefers)] == waiting
    assert [job.id for job in queue.claim_batch("w", 1, wanted=prefers)] == loaded[1:]


def test_two_workers_of_different_models_each_take_only_their_own_under_load(
    queue: JobQueue, key_id: str
) -> None:
    other = second_key(queue.db, key_id)
    ids = {"tiny": set(send(queue, key_id, 60) + send(queue, other, 60))}
    ids["flux-x"] = set(send(queue, key_id, 60, model="flux-x") + send(queue, other, 60, model="flux-x"))
    taken: dict[str, list[str]] = {"tiny": [], "flux-x": []}

    def work(model: str, owner: str) -> None:
        while jobs := queue.claim_batch(owner, 4, wanted=Wanted((model,))):
            taken[model].extend(job.id for job in jobs)

    threads = [threading.Thread(target=work, args=(m, f"{m}-{i}")) for m in taken for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for model, claimed in taken.items():
        assert sorted(claimed) == sorted(ids[model])  # all of its own, each once, nothing of the other's


def test_a_queued_jobs_position_counts_down_to_zero(queue: JobQueue, key_id: str) -> None:
    places = QueuePlaces(queue.db)
    flood = send(queue, key_id, 5)  # turns 1 to 5
    (mine,) = send(queue, second_key(queue.db, key_id), weight=0.4)  # turn 1 + 1 / 0.4 = 3.5
    seen = []
    while (position := places.position(mine)) is not None:
        seen.append(position)
        queue.claim("w", 1)
    assert seen == [3, 2, 1, 0]
    assert [places.position(job_id) for job_id in flood] == [None, None, None, 0, 1]


def test_positions_tell_the_order_the_claims_take(queue: JobQueue, key_id: str) -> None:
    keys = [key_id, second_key(queue.db, key_id), second_key(queue.db, key_id)]
    sent = []
    for i in range(8):
        for weight, key in zip((1.0, 2.0, 4.0), keys, strict=True):
            priority = ("low", "normal", "high")[(i + len(sent)) % 3]
            sent += send(queue, key, weight=weight, priority=priority, n=1 + i % 2)
    places = QueuePlaces(queue.db)
    by_position = sorted(sent, key=lambda job_id: places.position(job_id))  # type: ignore[arg-type,return-value]
    assert sorted(places.position(job_id) for job_id in sent) == list(range(len(sent)))  # type: ignore[type-var]
    claimed = [job.id for _ in sent for job in queue.claim("w", 1)]
    assert claimed == by_position


def test_three_workers_at_once_serve_a_late_key_among_the_first_batches_each_job_once(
    queue: JobQueue, key_id: str
) -> None:
    flood = send(queue, key_id, 60)
    late = send(queue, second_key(queue.db, key_id), 6)  # its turns 1 to 6, between the flood's first six
    order: list[str] = []
    lock = threading.Lock()

    def work(owner: str) -> None:
        while jobs := queue.claim_batch(owner, 4):
            with lock:
                order.extend(job.id for job in jobs)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(order) == sorted(flood + late)  # every job once, by one of the three
    # By turns, the first twelve are the flood's and the late key's first six in turn. Three workers claiming
    # at once may record their batches out of order: a batch of slack each.
    assert max(order.index(job) for job in late) < 12 + 3 * 4

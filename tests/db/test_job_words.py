"""A key's jobs found by the words of their prompt and name (db/job_words.py), on both databases: newest
first, a page at a time, every word asked for, another key's never; a deleted job's words go with it."""

from sqlalchemy import func, select

from sfumato.db.database import Database
from sfumato.db.jobs import JobStore
from sfumato.db.queue import JobQueue
from sfumato.db.tables import JobWordRow
from sfumato.domain.jobs import JobStatus
from sfumato.domain.search import terms_of
from tests.conftest import ManualClock
from tests.db.test_idempotency import second_key
from tests.db.test_queue import enqueue_params


def found(db: Database, key_id: str, clock: ManualClock, search: str, **filters: object) -> list[str]:
    page = JobStore(db).page(
        key_id,
        clock.now(),
        status=None,
        limit=10,
        after=None,
        terms=terms_of(search),
        **filters,  # type: ignore[arg-type]
    )
    return [job.params.prompt for job, _ in page.items]


def test_every_word_asked_for_must_be_in_the_prompt_or_the_name_newest_first(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    for prompt, name in [
        ("a red fox in the snow", None),
        ("two foxes at dusk", None),
        ("a red barn", "fox"),
        ("a blue whale", None),
    ]:
        enqueue_params(queue, key_id, prompt=prompt, **({"name": name} if name else {}))
        clock.advance(seconds=1)
    assert found(db, key_id, clock, "fox") == ["a red barn", "two foxes at dusk", "a red fox in the snow"]
    assert found(db, key_id, clock, "RED Fox") == ["a red barn", "a red fox in the snow"]
    assert found(db, key_id, clock, "foxes") == ["a red barn", "two foxes at dusk", "a red fox in the snow"]
    assert found(db, key_id, clock, "whale dusk") == []
    assert found(db, key_id, clock, "fo") == []  # whole words


def test_another_keys_jobs_are_never_found(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    other = second_key(db, key_id)
    enqueue_params(queue, other, prompt="a secret lighthouse")
    assert found(db, key_id, clock, "lighthouse") == []
    assert found(db, other, clock, "lighthouse") == ["a secret lighthouse"]


def test_a_search_pages_on_and_keeps_the_status_and_model_filters(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    made = []
    for i in range(5):
        made.append(enqueue_params(queue, key_id, prompt=f"kite number {i}"))
        clock.advance(seconds=1)
    queue.cancel(made[1], key_id)
    store = JobStore(db)
    first = store.page(key_id, clock.now(), status=None, limit=2, after=None, terms=["kite"])
    second = store.page(key_id, clock.now(), status=None, limit=2, after=first.next_cursor, terms=["kite"])
    third = store.page(key_id, clock.now(), status=None, limit=2, after=second.next_cursor, terms=["kite"])
    pages = [[job.id for job, _ in page.items] for page in (first, second, third)]
    assert pages == [[made[4], made[3]], [made[2], made[1]], [made[0]]] and third.next_cursor is None
    canceled = store.page(key_id, clock.now(), status=JobStatus.CANCELED, limit=5, after=None, terms=["kite"])
    assert [job.id for job, _ in canceled.items] == [made[1]]
    assert (
        found(db, key_id, clock, "kite", model="tiny") != []
        and found(db, key_id, clock, "kite", model="x") == []
    )


def test_a_deleted_jobs_words_go_with_it(db: Database, queue: JobQueue, key_id: str) -> None:
    job = enqueue_params(queue, key_id, prompt="a short-lived moth")
    assert queue.delete(job, key_id)
    with db.read() as session:
        assert session.scalar(select(func.count()).where(JobWordRow.job_id == job)) == 0

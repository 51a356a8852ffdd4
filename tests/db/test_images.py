"""db.images: every read of an image is its key's own and ends the moment it expires, every write asks for the
key too, and the sweeper's reads take only what expired; on both databases."""

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from sfumato.db import images
from sfumato.db.database import Database
from sfumato.db.images import ImageStore
from sfumato.db.queue import JobQueue
from sfumato.db.tables import ImageRow
from sfumato.db.usage import UsageStore
from sfumato.domain.ids import new_id
from sfumato.domain.images import Image
from sfumato.domain.jobs import Job
from tests.conftest import ManualClock
from tests.db.test_idempotency import second_key
from tests.db.test_jobs import DAY, made
from tests.db.test_queue import enqueue


def job_of(queue: JobQueue, key_id: str) -> Job:
    (job_id,) = enqueue(queue, key_id)
    (job,) = [job for job in queue.claim("w") if job.id == job_id]
    return job


def full(job: Job, clock: ManualClock, index: int | None = 0) -> Image:
    """An image with every field set, none to its default."""
    return replace(
        made(job, index, clock),
        name="fox",
        negative_prompt="blur",
        style="anime",
        public_token=new_id("pub"),
        source_image_id="image_source",
        seed=41,
    )


def stored(db: Database) -> set[str]:
    with db.read() as session:
        return set(session.scalars(select(ImageRow.id)))


def test_an_image_reads_back_field_for_field_by_its_key_and_by_both_tokens(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    image = full(job_of(queue, key_id), clock)
    store = ImageStore(db)
    assert store.insert(image) is True
    assert store.get(key_id, image.id, clock.now()) == image
    assert store.by_public_token(image.public_token or "", clock.now()) == image
    assert store.by_access_token(image.access_token or "", clock.now()) == image
    assert store.by_public_token("pub_unknown", clock.now()) is None
    assert store.by_access_token("unknown", clock.now()) is None
    assert store.job_has_images(image.job_id or "") is True


def test_an_image_is_gone_by_every_way_the_moment_it_expires(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    image = full(job_of(queue, key_id), clock)
    store = ImageStore(db)
    assert store.insert(image)
    just_before = image.expires_at - timedelta(microseconds=1)
    assert store.get(key_id, image.id, just_before) == image
    assert store.by_public_token(image.public_token or "", just_before) == image
    assert store.by_access_token(image.access_token or "", just_before) == image
    assert store.page(key_id, just_before, name=None, limit=10, after=None).items == [image]
    at = image.expires_at
    assert store.get(key_id, image.id, at) is None
    assert store.by_public_token(image.public_token or "", at) is None
    assert store.by_access_token(image.access_token or "", at) is None
    assert store.page(key_id, at, name=None, limit=10, after=None).items == []
    assert store.job_has_images(image.job_id or "")  # the row is there until the sweeper takes it


def test_a_key_reads_and_changes_only_its_own_images(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    other = second_key(db, key_id)
    mine = made(job_of(queue, key_id), 0, clock)
    theirs = replace(made(job_of(queue, other), 0, clock), public_token="pub_theirs")
    store = ImageStore(db)
    assert store.insert(mine) and store.insert(theirs)
    now = clock.now()
    assert store.get(key_id, theirs.id, now) is None and store.get(other, mine.id, now) is None
    assert store.page(key_id, now, name=None, limit=10, after=None).items == [mine]

    store.publish(key_id, theirs.id, "pub_mine")  # not mine to publish
    store.unpublish(key_id, theirs.id)  # nor to unpublish
    assert store.delete(key_id, theirs.id) is False  # nor to delete
    assert store.get(other, theirs.id, now) == theirs

    store.publish(other, mine.id, "pub_theirs_2")
    assert store.delete(other, mine.id) is False
    assert store.get(key_id, mine.id, now) == mine


def test_publishing_twice_keeps_the_first_token_and_unpublishing_clears_it(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    image = made(job_of(queue, key_id), 0, clock)
    store = ImageStore(db)
    assert store.insert(image)
    store.publish(key_id, image.id, "pub_first")
    store.publish(key_id, image.id, "pub_second")
    assert store.by_public_token("pub_first", clock.now()) == replace(image, public_token="pub_first")
    assert store.by_public_token("pub_second", clock.now()) is None
    other = made(job_of(queue, key_id), 0, clock)
    assert store.insert(other)
    store.publish(key_id, other.id, "pub_other")
    store.unpublish(key_id, image.id)
    assert store.by_public_token("pub_first", clock.now()) is None
    assert store.by_public_token("pub_other", clock.now()) == replace(
        other, public_token="pub_other"
    )  # only it
    assert store.get(key_id, image.id, clock.now()) == image
    store.publish(key_id, image.id, "pub_third")  # published again: a new URL
    assert store.by_public_token("pub_third", clock.now()) == replace(image, public_token="pub_third")


def test_deleting_an_image_says_whether_there_was_one(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    job = job_of(queue, key_id)
    first, second = made(job, 0, clock), made(job, 1, clock)
    store = ImageStore(db)
    assert store.insert(first) and store.insert(second)
    assert store.delete(key_id, first.id) is True
    assert store.delete(key_id, first.id) is False
    assert stored(db) == {second.id}


def test_a_page_filters_by_name(db: Database, queue: JobQueue, key_id: str, clock: ManualClock) -> None:
    job = job_of(queue, key_id)
    fox, owl = replace(made(job, 0, clock), name="fox"), replace(made(job, 1, clock), name="owl")
    store = ImageStore(db)
    assert store.insert(fox) and store.insert(owl)
    assert store.page(key_id, clock.now(), name="owl", limit=10, after=None).items == [owl]
    assert store.page(key_id, clock.now(), name="cat", limit=10, after=None).items == []
    page = store.page(key_id, clock.now(), name=None, limit=1, after=None)
    assert page.items == [owl] and page.has_more  # newest first
    rest = store.page(key_id, clock.now(), name=None, limit=1, after=page.next_cursor)
    assert rest.items == [fox] and not rest.has_more


def test_an_image_of_a_job_deleted_meanwhile_is_not_stored(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    job = job_of(queue, key_id)
    image, charged = made(job, 0, clock), made(job, 1, clock)
    assert queue.delete(job.id, key_id)
    store = ImageStore(db)
    assert store.insert(image) is False
    assert store.insert_charged(charged, "2026-01", quota=None) is None
    assert stored(db) == set()
    assert store.used(key_id, "2026-01") == 0
    assert store.job_has_images(job.id) is False


def test_a_charged_image_is_stored_and_counted_together_or_not_at_all(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    other = second_key(db, key_id)
    job = job_of(queue, key_id)
    first, second, third = (made(job, None, clock) for _ in range(3))
    store = ImageStore(db)
    assert store.insert_charged(first, "2026-01", quota=2) is True
    assert store.insert_charged(second, "2026-01", quota=2) is True
    assert store.insert_charged(third, "2026-01", quota=2) is False
    assert stored(db) == {first.id, second.id}
    assert (store.used(key_id, "2026-01"), store.used(key_id, "2026-02"), store.used(other, "2026-01")) == (
        2,
        0,
        0,
    )
    assert UsageStore(db).used(key_id, "2026-01") == 2


def test_the_sweeper_finds_only_expired_images_and_deletes_only_those_still_expired(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    job = job_of(queue, key_id)
    short = [made(job, i, clock, retention=timedelta(hours=1)) for i in range(3)]
    kept = made(job, 3, clock)
    store = ImageStore(db)
    for image in [*short, kept]:
        assert store.insert(image)
    at = max(image.expires_at for image in short)
    assert store.expired(at, 10) == [(image.id, image.storage_key, image.expires_at) for image in short]
    assert ids(store.expired(at - timedelta(microseconds=1), 10)) == [image.id for image in short[:2]]
    assert len(store.expired(at, 2)) == 2
    assert store.delete_expired([short[0].id, kept.id], at) == 1  # kept has not expired
    assert store.delete_expired([short[1].id, short[2].id], short[1].expires_at) == 1  # nor had short[2] then
    assert stored(db) == {short[2].id, kept.id}


def test_the_sweeper_gets_the_first_images_to_expire_first_from_just_after_where_it_asks(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    # The sweeper's steps each read on from the last one's last image (services/retention.py), so that no
    # step walks again over the index entries of the rows deleted before it.
    job = job_of(queue, key_id)
    hours = [3, 1, 2, 1]  # made a tick apart: they expire in the order 1, 3, 2, 0
    images = [made(job, i, clock, retention=timedelta(hours=h)) for i, h in enumerate(hours)]
    store = ImageStore(db)
    for image in images:
        assert store.insert(image)
    in_order = [images[1], images[3], images[2], images[0]]
    now = clock.now() + timedelta(hours=4)
    place = [(image.expires_at, image.id) for image in in_order]
    assert ids(store.expired(now, 10)) == [image.id for image in in_order]
    assert ids(store.expired(now, 2)) == [images[1].id, images[3].id]
    assert ids(store.expired(now, 10, place[1])) == [images[2].id, images[0].id]
    assert ids(store.expired(images[2].expires_at, 10, place[0])) == [images[3].id, images[2].id]
    # Of one moment, the ids tell them apart.
    assert ids(store.expired(now, 10, (images[3].expires_at, ""))) == [
        images[3].id,
        images[2].id,
        images[0].id,
    ]


def test_images_that_expire_at_one_moment_go_in_the_order_of_their_ids(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    job = job_of(queue, key_id)
    store = ImageStore(db)
    moment = clock.now()
    for i, image_id in enumerate(["img_c", "img_b", "img_a"]):  # written last id first
        assert store.insert(replace(made(job, i, clock), id=image_id, expires_at=moment))
    assert ids(store.expired(moment, 1)) == ["img_a"]
    assert ids(store.expired(moment, 2, (moment, "img_a"))) == ["img_b", "img_c"]


def ids(found: list[tuple[str, str, datetime]]) -> list[str]:
    return [image_id for image_id, _, _ in found]


def test_images_made_since_a_moment_count_every_keys(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    other = second_key(db, key_id)
    old = made(job_of(queue, key_id), 0, clock)
    mine = made(job_of(queue, key_id), 0, clock)
    theirs = made(job_of(queue, other), 0, clock)
    store = ImageStore(db)
    for image in (old, mine, theirs):
        assert store.insert(image)
    assert store.made_since(mine.created_at) == 2  # inclusive
    assert store.made_since(old.created_at) == 3
    assert store.made_since(theirs.created_at + DAY) == 0


def test_the_queues_own_reads_of_a_jobs_images(
    db: Database, queue: JobQueue, key_id: str, clock: ManualClock
) -> None:
    job, other_job = job_of(queue, key_id), job_of(queue, key_id)
    first, second, transform = made(job, 0, clock), made(job, 1, clock), made(job, None, clock)
    elsewhere = made(other_job, 0, clock)
    expired = made(other_job, 1, clock, retention=timedelta(0))
    with db.write() as session:
        images.add_all(session, [second, transform, first, elsewhere, expired])
    with db.read() as session:
        assert images.count_landed(session, job.id, [first.id, second.id, elsewhere.id, "image_none"]) == 2
        assert images.count_landed(session, job.id, ["image_none"]) == 0
        assert images.generated_of(session, [job.id, other_job.id], clock.now()) == {
            job.id: [first, second],
            other_job.id: [elsewhere],
        }
        assert images.generated_of(session, [], clock.now()) == {}
        assert images.generated_of(session, [other_job.id], clock.now()) == {other_job.id: [elsewhere]}
    with db.write() as session:
        images.delete_of_job(session, job.id)
    assert stored(db) == {elsewhere.id, expired.id}

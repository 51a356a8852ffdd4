import pytest
from sqlalchemy import select

from sfumato.db.database import Database
from sfumato.db.keys import KeyStore
from sfumato.db.tables import KeyRow as ApiKey
from sfumato.domain.errors import AuthenticationFailed, InvalidParameter, NotFound
from sfumato.domain.keys import ApiKey as Key
from sfumato.domain.keys import hash_key
from sfumato.domain.plans import DEFAULT_PLANS
from sfumato.services.keys import KeyService
from tests.conftest import ManualClock


@pytest.fixture
def keys(db: Database, clock: ManualClock) -> KeyService:
    return KeyService(KeyStore(db), clock, plans=DEFAULT_PLANS, default_plan="starter")


def test_a_key_is_stored_only_as_its_hash(keys: KeyService, db: Database) -> None:
    key, raw = keys.create("me")
    with db.read() as session:
        stored = session.scalars(select(ApiKey)).one()
    assert stored.key_hash == hash_key(raw) and raw not in (stored.key_hash, stored.prefix)
    assert raw.startswith("sfm_") and len(raw) > 40 and stored.prefix == raw[:8]
    assert key.plan == "starter"


def test_the_key_authenticates_its_owner(keys: KeyService) -> None:
    key, raw = keys.create("me", plan="professional", admin=True, rpm=5, monthly_images=50)
    found = keys.authenticate(raw)
    assert (found.id, found.plan, found.is_admin, found.rpm, found.monthly_images) == (
        key.id,
        "professional",
        True,
        5,
        50,
    )


@pytest.mark.parametrize("raw", [None, "", "sfm_not-a-key"])
def test_missing_or_unknown_keys_are_refused(keys: KeyService, raw: str | None) -> None:
    with pytest.raises(AuthenticationFailed):
        keys.authenticate(raw)


def test_a_revoked_key_is_refused_at_once(keys: KeyService) -> None:
    key, raw = keys.create("me")
    assert keys.revoke(key.id).revoked_at is not None
    with pytest.raises(AuthenticationFailed, match="invalid API key"):
        keys.authenticate(raw)


def test_revoking_an_unknown_key_is_not_found(keys: KeyService) -> None:
    with pytest.raises(NotFound):
        keys.revoke("key_nope")


@pytest.mark.parametrize(
    ("options", "param"),
    [({"plan": "platinum"}, "plan"), ({"rpm": 0}, "rpm"), ({"monthly_images": -1}, "monthly_images")],
)
def test_bad_options_name_the_option(keys: KeyService, options: dict, param: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        keys.create("me", **options)
    assert caught.value.param == param


def test_keys_are_listed_oldest_first(keys: KeyService) -> None:
    first, _ = keys.create("a")
    second, _ = keys.create("b")
    assert [k.id for k in keys.list_keys()] == [first.id, second.id]


class CountingStore(KeyStore):
    """The key table, counting the lookups by hash that reach it."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.reads = 0

    def by_hash(self, key_hash: str) -> Key | None:
        self.reads += 1
        return super().by_hash(key_hash)


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def remembering(db: Database, clock: ManualClock, ticks: Ticks) -> tuple[KeyService, CountingStore]:
    store = CountingStore(db)
    service = KeyService(store, clock, plans=DEFAULT_PLANS, default_plan="starter", monotonic=ticks)
    return service, store


def test_a_key_is_read_once_a_second_however_often_it_is_used(db: Database, clock: ManualClock) -> None:
    ticks = Ticks()
    keys, store = remembering(db, clock, ticks)
    key, raw = keys.create("me")
    for _ in range(5):
        assert keys.authenticate(raw).id == key.id
    assert store.reads == 1
    ticks.now += 0.999
    keys.authenticate(raw)
    assert store.reads == 1
    ticks.now += 0.001  # a lookup one second old is read again
    keys.authenticate(raw)
    assert store.reads == 2


def test_a_revocation_made_elsewhere_is_honoured_within_a_second(db: Database, clock: ManualClock) -> None:
    ticks = Ticks()
    keys, _ = remembering(db, clock, ticks)
    elsewhere = KeyService(KeyStore(db), clock, plans=DEFAULT_PLANS, default_plan="starter")  # the CLI
    key, raw = keys.create("me")
    keys.authenticate(raw)
    elsewhere.revoke(key.id)
    ticks.now += 0.5
    assert keys.authenticate(raw).id == key.id  # this process has not read it again yet
    ticks.now += 0.5  # one second after the lookup: docs/api.md §3's bound
    with pytest.raises(AuthenticationFailed, match="invalid API key"):
        keys.authenticate(raw)


def test_a_revocation_or_a_change_made_here_is_seen_at_the_next_request(
    db: Database, clock: ManualClock
) -> None:
    ticks = Ticks()
    keys, store = remembering(db, clock, ticks)
    key, raw = keys.create("me")
    other, other_raw = keys.create("other")
    keys.authenticate(raw), keys.authenticate(other_raw)
    assert keys.change(key.id, {"plan": "professional"}).plan == "professional"
    assert keys.authenticate(raw).plan == "professional"
    assert store.reads == 3 and keys.authenticate(other_raw).id == other.id and store.reads == 3  # kept
    keys.revoke(key.id)
    with pytest.raises(AuthenticationFailed):
        keys.authenticate(raw)


def test_a_lookup_that_began_before_a_revocation_is_not_remembered(db: Database, clock: ManualClock) -> None:
    ticks = Ticks()
    keys, store = remembering(db, clock, ticks)
    key, raw = keys.create("me")
    read = store.by_hash

    def read_then_revoked(key_hash: str) -> Key | None:
        found = read(key_hash)  # read while the key was valid; revoked before the answer is kept
        store.by_hash = read  # type: ignore[method-assign]
        keys.revoke(key.id)
        return found

    store.by_hash = read_then_revoked  # type: ignore[method-assign]
    assert keys.authenticate(raw).id == key.id  # valid when it was read
    with pytest.raises(AuthenticationFailed):
        keys.authenticate(raw)


def test_wrong_keys_are_read_each_time_and_lookups_are_bounded(
    db: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = Ticks()
    keys, store = remembering(db, clock, ticks)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            keys.authenticate("sfm_wrong")
    assert store.reads == 3
    monkeypatch.setattr("sfumato.services.keys.LOOKUPS_KEPT", 2)
    raws = [keys.create(name)[1] for name in "abc"]
    for raw in raws:
        keys.authenticate(raw)
    assert store.reads == 6
    keys.authenticate(raws[2]), keys.authenticate(raws[1])  # the two newest are kept
    assert store.reads == 6
    keys.authenticate(raws[0])  # the oldest went first
    assert store.reads == 7


def test_a_remembered_key_is_answered_without_reading_only_while_fresh_and_valid(
    db: Database, clock: ManualClock
) -> None:
    ticks = Ticks()
    keys, store = remembering(db, clock, ticks)
    key, raw = keys.create("me")
    assert keys.remembered(raw) is None  # never read yet
    keys.authenticate(raw)
    assert keys.remembered(raw) == key and keys.remembered(None) is None and keys.remembered("") is None
    assert keys.remembered("sfm_wrong") is None
    ticks.now += 1.0
    assert keys.remembered(raw) is None  # stale: authenticate reads it again
    elsewhere = KeyService(KeyStore(db), clock, plans=DEFAULT_PLANS, default_plan="starter")
    elsewhere.revoke(key.id)
    with pytest.raises(AuthenticationFailed):
        keys.authenticate(raw)  # read again, revoked: remembered as revoked
    assert keys.remembered(raw) is None
    assert store.reads == 2

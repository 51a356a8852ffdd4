import pytest
from sqlalchemy import select

from sfumato.db.database import Database
from sfumato.db.keys import KeyStore
from sfumato.db.tables import KeyRow as ApiKey
from sfumato.domain.errors import AuthenticationFailed, InvalidParameter, NotFound
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

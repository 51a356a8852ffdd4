"""A client's options (AUTOMATIC1111's /options) are kept per key and per client, laid over what was kept,
and bounded, on the tests' database."""

import pytest

from sfumato.db.client_options import ClientOptionsStore
from sfumato.db.database import Database
from sfumato.db.keys import KeyStore
from sfumato.domain.errors import PayloadTooLarge
from sfumato.domain.plans import DEFAULT_PLANS
from sfumato.services.client_options import MAX_BYTES, ClientOptions
from sfumato.services.keys import KeyService
from tests.conftest import ManualClock


@pytest.fixture
def options(db: Database, clock: ManualClock) -> ClientOptions:
    return ClientOptions(ClientOptionsStore(db), clock)


@pytest.fixture
def keys(db: Database, clock: ManualClock) -> KeyService:
    return KeyService(KeyStore(db), clock, plans=DEFAULT_PLANS, default_plan="starter")


def test_changes_are_laid_over_what_was_kept_for_that_key_and_client(
    options: ClientOptions, keys: KeyService
) -> None:
    mine, _ = keys.create("mine")
    other, _ = keys.create("other")
    assert options.get(mine, "a1111") == {}
    options.update(mine, "a1111", {"sd_vae": "Automatic", "steps": 4})
    kept = options.update(mine, "a1111", {"steps": 8, "nested": {"a": [1, None]}})
    assert (
        kept == options.get(mine, "a1111") == {"sd_vae": "Automatic", "steps": 8, "nested": {"a": [1, None]}}
    )
    assert options.get(other, "a1111") == {} and options.get(mine, "another") == {}


def test_more_than_the_bound_is_refused_and_leaves_what_was_kept(
    options: ClientOptions, keys: KeyService
) -> None:
    key, _ = keys.create("me")
    options.update(key, "a1111", {"kept": True})
    with pytest.raises(PayloadTooLarge):
        options.update(key, "a1111", {"blob": "x" * MAX_BYTES})
    assert options.get(key, "a1111") == {"kept": True}

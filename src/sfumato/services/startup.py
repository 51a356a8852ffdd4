"""What a process checks and opens before it serves: the same calls for `sfumato serve`, `sfumato worker`,
the key commands and the composition roots (sfumato/roots/), so they fail alike, in one line each.

Each check raises StartupError with a message an operator can act on: no traceback, no password.
"""

from sfumato.config import Settings
from sfumato.credentials.identity import CredentialError
from sfumato.db.database import AUTOCHECKPOINT_PAGES, Database, shown_url
from sfumato.db.migrate import upgrade
from sfumato.domain.clock import SystemClock
from sfumato.domain.content_policy import ContentPolicy, read_rules
from sfumato.domain.errors import SfumatoError
from sfumato.engine.compile_cache import FOLDER as COMPILE_CACHE
from sfumato.engine.options import EngineOptions, WeightSources, parse_sizes
from sfumato.services.credentials import ContentCredentials, credentials_of
from sfumato.storage import Storage, StorageError, open_storage


class StartupError(Exception):
    """The process cannot start as configured; the message says why and, where it can, the fix."""


def engine_options(settings: Settings) -> EngineOptions:
    return EngineOptions(
        device=settings.device,
        dtype=settings.dtype,
        compile=settings.compile,
        precision=settings.precision,
        compile_cache=settings.data_dir / COMPILE_CACHE,
        warmup_sizes=parse_sizes(settings.warmup_sizes),
        weights=WeightSources(settings.base_model, settings.lightning_repo, settings.allow_download),
    )


def check_model(settings: Settings, *, runs_it: bool) -> str | None:
    """Every served model is one the catalogue knows and, where this process runs them, its weights are
    here; a warning when a full-size model will run without a GPU."""
    from sfumato.engine.registry import check_available, device_warning
    from sfumato.services.models import catalogue_of, check_references, served_names

    try:
        catalogue = catalogue_of(settings)
        check_references(settings, catalogue)
        if not runs_it:
            return None
        options = engine_options(settings)
        for name in served_names(settings):
            check_available(catalogue.spec(name), options)
    except SfumatoError as error:
        raise StartupError(error.message) from None
    return device_warning(catalogue.spec(settings.model), options)


def content_policy(settings: Settings) -> ContentPolicy:
    """The shipped list (or the operator's file instead), plus SFUMATO_BLOCKED_TERMS; ValueError when
    the file cannot be read or a pattern is wrong."""
    rules: list[str] = []
    source = settings.content_policy_file.strip()
    if not source:
        rules += ContentPolicy.shipped_rules()
    elif source.lower() != "none":
        try:
            with open(source, encoding="utf-8") as file:
                rules += read_rules(file)
        except OSError as error:
            raise ValueError(f"SFUMATO_CONTENT_POLICY_FILE: cannot read {source}: {error.strerror}") from None
    rules += [term.strip() for term in settings.blocked_terms.split(",") if term.strip()]
    return ContentPolicy.of(rules)


def checked_policy(settings: Settings) -> ContentPolicy:
    try:
        return content_policy(settings)
    except ValueError as error:
        raise StartupError(str(error)) from None


def open_database(settings: Settings, *, autocheckpoint: int = AUTOCHECKPOINT_PAGES) -> Database:
    """Connect and apply the migrations; `autocheckpoint` as `Database`'s."""
    try:
        db = Database(settings.database_url, autocheckpoint=autocheckpoint)
        upgrade(db)
    except Exception as error:
        shown = shown_url(settings.database_url)
        cause = error.__cause__ if isinstance(error, SfumatoError) and error.__cause__ else error
        raise StartupError(f"cannot prepare the database {shown}: {type(cause).__name__}: {cause}") from None
    return db


def storage_of(settings: Settings) -> Storage:
    """The storage SFUMATO_STORAGE_URL names, with its options (settings.storage_options)."""
    return open_storage(settings.storage_url, settings.storage_options())


def checked_storage(settings: Settings) -> Storage:
    """The storage, reachable and writable: a missing bucket stops the start."""
    try:
        storage = storage_of(settings)
        storage.check()
    except StorageError as error:
        raise StartupError(f"cannot use the storage {settings.storage_url}: {error}") from None
    return storage


def checked_credentials(settings: Settings) -> ContentCredentials:
    """Who signs the content credentials, checked against the wall clock (as c2pa and every verifier
    check it): a certificate that is broken, expired or refused by c2pa stops the start."""
    try:
        return credentials_of(settings, SystemClock())
    except CredentialError as error:
        raise StartupError(f"content credentials: {error}") from None


def preflight(settings: Settings, *, runs_model: bool) -> list[str]:
    """Every check, in the order an operator fixes them: model, content policy, database, storage, content
    credentials. Returns the warnings to show; raises StartupError at the first failure."""
    warning = check_model(settings, runs_it=runs_model)
    checked_policy(settings)
    open_database(settings).dispose()
    checked_storage(settings)
    checked_credentials(settings)
    return [warning] if warning else []

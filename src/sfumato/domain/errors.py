"""Typed errors raised below the API; http/errors.py maps each class to a status and envelope."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfumato.domain.plans import Window


class SfumatoError(Exception):
    """Base of every error a client may see; `code` and `param` go into the envelope."""

    code = "internal_error"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code


class InvalidParameter(SfumatoError):
    code = "parameter_invalid"


class MissingParameter(InvalidParameter):
    code = "parameter_missing"


class InvalidJson(InvalidParameter):
    code = "invalid_json"


class PayloadTooLarge(SfumatoError):
    code = "payload_too_large"


class AuthenticationFailed(SfumatoError):
    code = "invalid_api_key"


class PermissionDenied(SfumatoError):
    code = "permission_denied"


class PlanForbidden(PermissionDenied):
    """The key's plan does not allow this (more images a request than it allows)."""

    code = "plan_forbidden"


class ContentPolicyViolation(PermissionDenied):
    """The prompt matches the operator's content policy; nothing is generated."""

    code = "content_policy_violation"


class NotFound(SfumatoError):
    code = "not_found"


class Conflict(SfumatoError):
    code = "conflict"


class IdempotencyKeyReused(Conflict):
    """An idempotency key sent again with another request than the one it first came with."""

    code = "idempotency_key_reused"


class RateLimited(SfumatoError):
    code = "rate_limit_exceeded"

    def __init__(
        self,
        message: str,
        *,
        retry_after: int,
        code: str | None = None,
        window: "Window | None" = None,
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
        self.window = window  # the rate limit's minute that was spent, if one was


class QuotaExceeded(RateLimited):
    """The key's monthly images are spent; `retry_after` runs to the next month (UTC)."""

    code = "quota_exceeded"


class QueueFull(RateLimited):
    """The key has as many jobs queued as its plan allows (`max_queued`); `retry_after` runs until its next
    job is expected to start and free a place."""

    code = "queue_full"


class Overloaded(SfumatoError):
    code = "overloaded"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class DatabaseUnavailable(Overloaded):
    """The database cannot be reached (restarting, failing over): the same request may work in a moment."""

    code = "database_unavailable"

    def __init__(
        self, message: str = "the database is unreachable; try again", *, retry_after: int = 1
    ) -> None:
        super().__init__(message, retry_after=retry_after)


class DatabaseReadOnly(Overloaded):
    """The database answers but takes no writes (its disk is full, or it is read-only): reads still work."""

    code = "database_read_only"

    def __init__(
        self,
        message: str = "the database cannot take writes now (full or read-only); reading still works",
        *,
        retry_after: int = 30,
    ) -> None:
        super().__init__(message, retry_after=retry_after)


class StorageFull(SfumatoError):
    """The image store has no room for another file."""

    code = "storage_full"


class StorageUnavailable(Overloaded):
    """The image store cannot be written (read-only, no permission, unreachable)."""

    code = "storage_unavailable"

    def __init__(
        self, message: str = "the image store cannot be written now", *, retry_after: int = 30
    ) -> None:
        super().__init__(message, retry_after=retry_after)


class ModelUnavailable(SfumatoError):
    """The model cannot be served here: missing weights, no network, unknown name."""

    code = "model_unavailable"


class PrecisionUnavailable(ModelUnavailable):
    """The precision asked for (SFUMATO_PRECISION) cannot run on this device or without its library."""


class GenerationFailed(SfumatoError):
    """A job ended `failed`; raised to a client that waited for it synchronously."""

    code = "generation_failed"


class SigningFailed(SfumatoError):
    """An image's content credentials could not be signed: it is not stored without them."""

    code = "signing_failed"

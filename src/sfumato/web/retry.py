"""A dashboard page that says "slow down" says until when, as the API's envelope does (http/errors.py):
`Retry-After` with a rate limit's or an overload's wait, on every such page (an error page, the
studio's form, the sign-in form)."""

from starlette.responses import Response

from sfumato.domain.errors import Overloaded, RateLimited, SfumatoError


def with_retry_after(response: Response, error: SfumatoError) -> Response:
    if isinstance(error, RateLimited | Overloaded):
        response.headers["Retry-After"] = str(error.retry_after)
    return response

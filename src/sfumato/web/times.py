"""Times as a page shows them: readable, in UTC, never wrapped mid-date, inside a <time> element whose
machine-readable value the page's script turns into the reader's own time zone."""

from datetime import UTC, datetime

from markupsafe import Markup, escape


def parsed(value: str | datetime) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def when(value: str | datetime | None) -> Markup:
    """`2026-12-07 14:03 UTC` in a <time datetime="…Z">, for the script to show in local time."""
    if value is None or value == "":
        return Markup("")
    moment = parsed(value)
    if moment is None:
        return Markup(escape(str(value)))
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{}">{}</time>').format(iso, moment.strftime("%Y-%m-%d %H:%M UTC"))

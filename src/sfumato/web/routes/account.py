"""A key's own standing: usage this month (with a chart of images a day) and its webhooks."""

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from sfumato.domain.plans import OPERATOR_PLAN
from sfumato.http.deps import DeliveriesDep, StatusDep, UsageDep
from sfumato.http.objects import iso_z
from sfumato.http.threads import in_thread
from sfumato.services.deliveries import DeliveryLog
from sfumato.web.pages import Form, Page, SignedIn

router = APIRouter()

WIDTH, HEIGHT, BASE = 620, 180, 160  # the chart's drawing, in its own units


def chart(days: list[tuple[date, int]]) -> dict[str, Any]:
    """Bars of images a day, drawn on the server as SVG: no script, nothing to load."""
    most = max((count for _, count in days), default=0)
    step = WIDTH / max(len(days), 1)
    bars = []
    for index, (day, count) in enumerate(days):
        height = 0 if most == 0 else round((BASE - 10) * count / most, 1)
        label = str(day.day) if day.day == 1 or day.day % 5 == 0 else ""
        bars.append(
            {
                "x": round(index * step + 1, 1),
                "y": round(BASE - height, 1),
                "w": round(max(step - 2, 1), 1),
                "h": height,
                "day": day.isoformat(),
                "count": count,
                "label": label,
            }
        )
    total = sum(count for _, count in days)
    return {"width": WIDTH, "height": HEIGHT, "base": BASE, "bars": bars, "total": total, "most": most}


@router.get("/usage")
async def usage(page: SignedIn, usage: UsageDep, status: StatusDep) -> Response:
    assert page.key is not None
    report = await in_thread(usage.report, page.key)
    days = await in_thread(status.images_per_day, page.key.id)
    context = {
        "title": "Usage",
        "usage": report,
        "period_end": iso_z(report.period_end),
        "chart": chart(days),
        "operator": report.limits.plan == OPERATOR_PLAN,
    }
    return page.render("usage.html", context, active="/usage")


async def _webhooks(page: Page, log: DeliveryLog, *, reveal: bool) -> Response:
    assert page.key is not None
    deliveries = await in_thread(log.recent, page.key, 20)
    context = {
        "title": "Webhooks",
        "secret": page.key.webhook_secret if reveal else None,
        "deliveries": [
            {**vars(delivery), "created_at": iso_z(delivery.created_at)} for delivery in deliveries
        ],
    }
    return page.render("webhooks.html", context, active="/webhooks")


@router.get("/webhooks")
async def webhooks(page: SignedIn, log: DeliveriesDep) -> Response:
    return await _webhooks(page, log, reveal=False)


@router.post("/webhooks/reveal")
async def reveal(page: SignedIn, _form: Form, log: DeliveriesDep) -> Response:
    """The secret is shown on demand only, and never lands in a page a browser may have cached."""
    return await _webhooks(page, log, reveal=True)

"""Plans, limits, the content policy and retention (docs/plans.md)."""

from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from sfumato.config.base import PREFIX, shown
from sfumato.domain.plans import DEFAULT_PLANS, Plan, over_defaults


class LimitSettings(BaseSettings):
    model_config = PREFIX

    # Plans, limits and retention (docs/plans.md).
    plans: dict[str, Plan] = Field(
        default_factory=lambda: dict(DEFAULT_PLANS),
        description='JSON: each plan\'s figures (`{"starter": {"monthly_images": 100}}`); given fields '
        "replace the defaults, a new name adds a plan",
        json_schema_extra=shown("the table in docs/plans.md"),
    )
    default_plan: str = Field("starter", description="the plan of keys created without `--plan`")
    redis_url: str = Field(
        "",
        description="`redis://host:port/db`: rate-limit counts shared by every API process; empty: in this "
        "process's memory",
    )
    auth_failures_per_minute: int = Field(
        30,
        ge=1,
        description="wrong keys one client address may send in a minute; past that it is answered 429",
    )
    content_policy_file: str = Field(
        "",
        description="blocked terms and patterns, one a line, replacing the shipped list; `none`: no list",
        json_schema_extra=shown("the shipped list"),
    )
    blocked_terms: str = Field("", description="more blocked terms, comma-separated, added to the list")
    retention_days: int = Field(
        30, ge=1, description="images expire this long after they are made; then a sweeper deletes them"
    )
    sweep_seconds: float = Field(
        300.0, gt=0, description="how often each API process deletes expired images (and once at start)"
    )

    @field_validator("plans", mode="before")
    @classmethod
    def _merge_plans(cls, given: Any) -> Any:
        return over_defaults(given)

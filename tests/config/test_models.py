"""Which models a process serves (config/models.py, services/models.py): SFUMATO_MODEL, SFUMATO_MODELS and
`--model` given several times, the default first; a folder served by its own name."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from sfumato.cli.common import model_flags
from sfumato.config import Settings
from sfumato.domain.errors import ModelUnavailable
from sfumato.services.models import catalogue_of, check_references, model_memory, served_names


def test_one_model_by_default() -> None:
    settings = Settings()
    assert (settings.model, served_names(settings)) == ("sdxl-lightning", ["sdxl-lightning"])


def test_a_list_serves_each_and_its_first_is_the_default() -> None:
    settings = Settings(models="tiny-flux, tiny,tiny-sd3")
    assert (settings.model, served_names(settings)) == ("tiny-flux", ["tiny-flux", "tiny", "tiny-sd3"])


def test_a_default_named_beside_the_list_comes_first_and_is_served() -> None:
    assert served_names(Settings(model="tiny-sd3", models="tiny,tiny-sd3")) == ["tiny-sd3", "tiny"]
    assert served_names(Settings(model="tiny", models="tiny-flux")) == ["tiny", "tiny-flux"]


def test_the_flags_given_several_times_are_the_list_and_its_default() -> None:
    settings = Settings(**model_flags(["tiny", "./models/my-flux"]))  # type: ignore[arg-type]
    assert (settings.model, served_names(settings)) == ("tiny", ["tiny", "my-flux"])
    assert model_flags(None) == {"model": None, "models": None}


def test_settings_read_again_serve_the_same() -> None:
    first = Settings(models="/srv/flux,tiny")
    again = Settings(**first.model_dump())
    assert (again.model, again.models) == (first.model, first.models) == ("flux", "/srv/flux,tiny")


def test_the_memory_budget_is_a_size_or_the_devices() -> None:
    assert model_memory(Settings(model_memory="24GiB"))() == 24 * 2**30
    assert model_memory(Settings(device="cpu"))() > 2**30  # the machine's memory
    with pytest.raises(ValidationError):
        Settings(model_memory="plenty")


def test_a_served_name_outside_the_catalogue_is_refused_naming_it() -> None:
    with pytest.raises(ModelUnavailable, match="unknown model 'sdxl-vintage'"):
        catalogue_of(Settings(models="tiny,sdxl-vintage"))


def test_a_plan_or_an_openai_alias_naming_a_model_outside_the_catalogue_is_refused() -> None:
    plans = {"starter": {"models": ["tiny", "sdxl-vintage"]}}
    with pytest.raises(ModelUnavailable, match="the starter plan names 'sdxl-vintage'"):
        check_references(Settings(plans=plans), catalogue_of(Settings()))
    aliases = {"dall-e-*": "dalle-clone"}
    with pytest.raises(ModelUnavailable, match="'dall-e-\\*' maps to 'dalle-clone'"):
        check_references(Settings(openai_models=aliases), catalogue_of(Settings()))
    fine = Settings(plans={"starter": {"models": ["tiny"]}}, openai_models={"dall-e-3": "tiny-flux"})
    check_references(fine, catalogue_of(fine))


def test_entries_from_settings_join_the_catalogue(tmp_path: Path) -> None:
    settings = Settings(
        catalogue={"house": {"family": "sd3", "source": str(tmp_path), "default_steps": 8}}, models="house"
    )
    spec = catalogue_of(settings)["house"]
    assert (spec.family, spec.default_steps, spec.source) == ("sd3", 8, str(tmp_path))

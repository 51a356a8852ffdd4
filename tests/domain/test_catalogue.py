"""The catalogue (domain/catalogue.py, domain/models.py): the built-ins, and the operator's entries."""

import pytest

from sfumato.domain.catalogue import Catalogue, Entry, entries_of, entry_fields, is_folder, model_name
from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.families import FAMILIES


def test_the_built_ins_are_the_contracts_models_each_of_a_known_family() -> None:
    catalogue = Catalogue()
    assert list(catalogue) == [
        "sdxl-lightning",
        "sdxl-lightning-2step",
        "sdxl-lightning-8step",
        "flux.1-schnell",
        "sd3.5-large-turbo",
        "sdxl-turbo",
        "tiny",
        "sdxl-random",
        "tiny-flux",
        "tiny-sd3",
        "flux-random",
    ]
    families = {name: spec.family for name, spec in catalogue.items()}
    assert (families["flux.1-schnell"], families["sd3.5-large-turbo"], families["tiny-sd3"]) == (
        "flux",
        "sd3",
        "sd3",
    )
    assert all(spec.family in FAMILIES for spec in catalogue.values())


def test_only_the_stability_community_licences_are_flagged_not_open() -> None:
    closed = {name: spec.license for name, spec in Catalogue().items() if not spec.open_license}
    assert closed == {
        "sd3.5-large-turbo": "Stability AI Community License",
        "sdxl-turbo": "Stability AI Non-Commercial Research Community License",
    }
    assert Catalogue()["flux.1-schnell"].license == "Apache-2.0"


def test_the_distilled_fast_models_run_without_guidance() -> None:
    catalogue = Catalogue()
    assert {catalogue[name].guidance for name in ("flux.1-schnell", "sd3.5-large-turbo", "sdxl-turbo")} == {
        "none"
    }
    assert catalogue["flux.1-schnell"].source == "black-forest-labs/FLUX.1-schnell"


def test_an_entry_needs_a_family_and_a_source_the_rest_comes_from_the_family() -> None:
    (spec,) = entries_of({"my-sd3": {"family": "sd3", "source": "/models/sd3"}}, "test")
    assert (spec.name, spec.family, spec.source, spec.default_steps, spec.guidance) == (
        "my-sd3",
        "sd3",
        "/models/sd3",
        28,
        "cfg",
    )
    assert (spec.default_guidance_scale, spec.license, spec.open_license) == (7.0, "unknown", False)


def test_an_embedded_guidance_entry_defaults_to_flux_devs_scale() -> None:
    (spec,) = entries_of(
        {"dev": {"family": "flux", "source": "x", "guidance": "embedded", "default_steps": 28}}, "t"
    )
    assert (spec.guidance, spec.default_guidance_scale, spec.default_steps) == ("embedded", 3.5, 28)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"source": "x"}, "family"),
        ({"family": "flux", "source": "x", "guidance": "cfg"}, "guidance must be one of none, embedded"),
        ({"family": "sdxl", "source": "x", "default_steps": 60}, "default_steps 60 is not within 1 to 50"),
        ({"family": "sdxl", "source": "x", "steps": 4}, "steps"),
        ({"family": "dalle", "source": "x"}, "family"),
    ],
)
def test_a_wrong_entry_is_one_line_naming_the_model_and_field(fields: dict, named: str) -> None:
    with pytest.raises(ModelUnavailable) as refused:
        entries_of({"mine": fields}, "SFUMATO_CATALOGUE")
    message = refused.value.message
    assert (
        message.startswith("SFUMATO_CATALOGUE: model 'mine', ") and named in message and "\n" not in message
    )


def test_an_entry_of_a_built_in_name_replaces_it() -> None:
    catalogue = Catalogue().plus(
        entries_of({"flux.1-schnell": {"family": "flux", "source": "/srv/flux"}}, "t")
    )
    assert catalogue["flux.1-schnell"].source == "/srv/flux" and len(catalogue) == len(Catalogue())


def test_an_unknown_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ModelUnavailable, match="unknown model 'dall-e-3'; known models: sdxl-lightning, "):
        Catalogue().spec("dall-e-3")


def test_a_models_fields_make_an_entry_that_gives_it_back() -> None:
    for name, spec in Catalogue().items():
        again = Entry.model_validate({**entry_fields(spec), "source": "/saved"}).spec(name)
        assert again.default_steps == spec.default_steps and again.guidance == spec.guidance
        assert (again.license, again.open_license, again.sequence_length) == (
            spec.license,
            spec.open_license,
            spec.sequence_length,
        )


def test_a_folder_goes_by_its_own_name_never_its_path() -> None:
    assert is_folder("/models/flux") and is_folder("./flux") and is_folder("~/flux") and not is_folder("tiny")
    assert model_name("/models/my-flux/") == "my-flux" and model_name("tiny-flux") == "tiny-flux"


@pytest.mark.parametrize("name", ["my model", "x" * 65, "-dash-first", "naïve"])
def test_a_name_that_cannot_go_into_a_job_or_a_request_is_refused(name: str) -> None:
    # 64 characters at most: a job's and an image's rows keep 80 for it.
    with pytest.raises(ModelUnavailable, match="cannot name a model: use 1 to 64 letters, digits"):
        entries_of({name: {"family": "sdxl", "source": "x"}}, "SFUMATO_CATALOGUE")
    assert entries_of({"x" * 64: {"family": "sdxl", "source": "x"}}, "t")[0].name == "x" * 64

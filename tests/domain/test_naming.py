"""Names nobody gave, and what "the same name" means on an image's page (domain/naming.py)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sfumato.domain.images import Image, StoredFile
from sfumato.domain.naming import default_name, lineage


def test_a_default_name_is_the_prompts_first_six_words_without_punctuation() -> None:
    assert (
        default_name("A lighthouse, at dusk; waves crashing on the rocks below")
        == "a lighthouse at dusk waves crashing"
    )
    assert default_name("  portrait of a woman's face  ") == "portrait of a woman's face"
    assert default_name("café au lait, still-life") == "café au lait still-life"


def test_a_default_name_stops_at_a_word_within_sixty_characters() -> None:
    name = default_name("supercalifragilistic " * 3 + "end")
    assert name == "supercalifragilistic supercalifragilistic"  # a third would pass 60
    assert len(name) <= 60


def test_a_prompt_without_words_is_untitled() -> None:
    assert default_name("") == "untitled"
    assert default_name("!!! ...") == "untitled"


def image(image_id: str, source: str | None = None) -> Image:
    made = Image.create(
        key_id="key_1",
        job_id="job_1",
        job_index=0,
        name="a red fox",
        file=StoredFile(f"job_1/{image_id}.png", "png", 64, 64, 10),
        prompt="a red fox",
        negative_prompt=None,
        seed=1,
        model="tiny",
        style=None,
        now=datetime(2026, 12, 1, tzinfo=UTC),
        retention=timedelta(days=30),
        image_id=image_id,
    )
    return replace(made, source_image_id=source)


def test_the_lineage_is_what_an_image_was_made_from_and_what_was_made_from_it() -> None:
    original, edit, edit_of_edit, stranger = image("a"), image("b", "a"), image("c", "b"), image("d")
    candidates = [original, edit, edit_of_edit, stranger]
    assert {i.id for i in lineage(edit, candidates)} == {"a", "c"}
    assert {i.id for i in lineage(original, candidates)} == {"b", "c"}
    assert lineage(stranger, candidates) == []


def test_siblings_of_a_source_outside_the_candidates_are_one_lineage() -> None:
    # Two edits of an image named otherwise: their source is not among the same-name images, yet both
    # came from it.
    first, second, unrelated = image("b", "x"), image("c", "x"), image("d", "y")
    assert [i.id for i in lineage(first, [first, second, unrelated])] == ["c"]


def test_a_loop_of_sources_ends() -> None:
    first, second = image("a", "b"), image("b", "a")
    assert [i.id for i in lineage(first, [first, second])] == ["b"]

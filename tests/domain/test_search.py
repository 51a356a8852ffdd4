"""The words a job is found by, and those a search asks for (domain/search.py)."""

from sfumato.domain.search import terms_of, words_of


def test_a_job_is_found_by_each_word_of_its_name_and_prompt_once_in_any_case() -> None:
    assert words_of("Fox", "A red FOX, in snow") == ["fox", "a", "red", "in", "snow"]


def test_plurals_are_kept_with_their_singular_and_a_search_asks_for_the_singular() -> None:
    assert words_of("two foxes and cats") == ["two", "foxes", "fox", "and", "cats", "cat"]
    assert terms_of("Foxes CATS") == ["fox", "cat"]
    assert terms_of("glass bus this") == ["glass", "bus", "this"]  # not plurals


def test_punctuation_splits_words_and_other_scripts_are_words_too() -> None:
    assert words_of("sea-side, 夕焼け!") == ["sea", "side", "夕焼け"]


def test_a_search_asks_for_at_most_eight_words() -> None:
    assert len(terms_of(" ".join(f"w{i}" for i in range(20)))) == 8

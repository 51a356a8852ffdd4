from sfumato.domain.styles import STYLES, apply_style


def test_no_style_leaves_the_prompts_alone() -> None:
    assert apply_style(None, "a cat", None) == ("a cat", None)


def test_a_style_wraps_the_prompt_and_adds_its_negative_terms() -> None:
    prompt, negative = apply_style("sketch", "a cat", "blurry")
    assert "a cat" in prompt and prompt != "a cat"
    assert negative is not None and negative.startswith("blurry, ")


def test_the_synchronous_styles_and_stabilitys_presets_are_offered() -> None:
    expected = {
        "photorealistic",
        "painting",
        "cartoon",
        "sketch",
        "abstract",
        "cinematic",
        "anime",
        "digital-art",
    }
    assert expected <= set(STYLES)
    assert all("{prompt}" in style.prompt for style in STYLES.values())

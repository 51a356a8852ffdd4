"""The content policy's rules: whole words, word starts, patterns, and the shipped default list."""

import pytest

from sfumato.domain.content_policy import ContentPolicy, compile_rule, read_rules
from sfumato.domain.errors import ContentPolicyViolation


@pytest.mark.parametrize(
    ("rule", "prompt", "blocked"),
    [
        ("gore", "a scene full of GORE", True),
        ("gore", "Al Gore at a podium", True),  # whole words, whatever the case: operators choose words
        ("gore", "a gorgeous sunset", False),
        ("blood bath", "a blood-bath in the arena", True),
        ("blood bath", "a blood_bath", True),
        ("blood bath", "blood and a bath", False),
        ("nud*", "nudity on a beach", True),
        ("nud*", "a nudge", True),
        ("nud*", "a denude hillside", False),
        ("re:\\bk+i+l+\\b", "KKIIILL", True),
        ("violence", "vio\u00adlence", True),  # a soft hyphen hides nothing
        (
            "violence",
            "".join(chr(ord(c) + 0xFEE0) for c in "violence"),
            True,
        ),  # nor full-width letters (NFKC)
    ],
)
def test_rules_match_whole_words_starts_and_patterns(rule: str, prompt: str, blocked: bool) -> None:
    assert (ContentPolicy.of([rule]).matching_rule(prompt) is not None) is blocked


def test_a_violation_is_403_content_policy_violation_without_telling_the_rule() -> None:
    with pytest.raises(ContentPolicyViolation) as raised:
        ContentPolicy.of(["secret-term"]).check("a secret term here")
    assert raised.value.code == "content_policy_violation" and raised.value.param == "prompt"
    assert "secret" not in raised.value.message


def test_files_skip_comments_and_blank_lines_and_bad_patterns_are_refused() -> None:
    assert read_rules(["# a comment", "", "  word  ", "re:x+"]) == ["word", "re:x+"]
    with pytest.raises(ValueError, match="invalid pattern"):
        compile_rule("re:(")


@pytest.mark.parametrize(
    ("prompt", "blocked"),
    [
        ("naked child on a bed", True),
        ("an explicit photo of a 12 year old", True),
        ("nsfw schoolgirl", True),
        ("loli art", True),
        ("a child playing in a park", False),
        ("a nude figure study in charcoal", False),  # adult nudity is the operator's call, not the default's
        ("a teenager skateboarding at sunset", False),
        ("grapes on a rapeseed field", False),
        ("a baby elephant", False),
    ],
)
def test_the_shipped_list_blocks_abuse_and_passes_ordinary_prompts(prompt: str, blocked: bool) -> None:
    policy = ContentPolicy.of(ContentPolicy.shipped_rules())
    assert (policy.matching_rule(prompt) is not None) is blocked

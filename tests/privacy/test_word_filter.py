"""privacy.word_filter: one compiled matcher, and what it sees through (SPEC section 12)."""

import pytest
from django.conf import settings

from privacy.word_filter import WordMatcher, hidden_word_key, matcher_for

BUILT_IN = matcher_for(settings.DM_FILTER_WORDS)


@pytest.mark.parametrize(
    "text",
    [
        "fuck you",
        "FUCK",
        "\uff26\uff55\uff43\uff4b",  # full width
        "fück",  # accents
        "f.u.c.k",
        "f u c k off",
        "f-u-c-k",
        "what the f_u_c_k?",
        "fuuuuuuck!",
        "ffffuck",
        "sh1t",
        "$h!t",
        "5hit",
        "b1tch!!",
        "a$$hole",
        "@sshole",
        "sh.it happens",
        "you should kill yourself",
        "k y s",
        "send nud3s",
        "SEND   NUDES",
    ],
)
def test_the_built_in_list_sees_through_disguises(text):
    assert BUILT_IN.matches(text), text


@pytest.mark.parametrize(
    "text",
    [
        "hello there",
        "Hi! How are you?",
        "a classic assessment",  # `ass` is not a whole word here
        "Scunthorpe",
        "shitake mushrooms",
        "skill yourself up",
        "I passed the class",
        "dickens was a writer",
        "as",
        "",
    ],
)
def test_ordinary_text_is_not_matched(text):
    assert not BUILT_IN.matches(text), text


def test_repeated_letters_keep_a_word_s_own_doubles():
    matcher = WordMatcher(["ass"])
    assert matcher.matches("you ass")
    assert matcher.matches("you asssss")
    assert not matcher.matches("as you like")  # one s is not `ass`


def test_phrases_match_across_any_spacing_and_punctuation():
    matcher = WordMatcher(["spoiler alert"])
    assert matcher.matches("SPOILER   ALERT!")
    assert matcher.matches("spoiler, alert")
    assert not matcher.matches("spoilers alert")
    assert not matcher.matches("spoiler")


@pytest.mark.parametrize(
    ("word", "text", "expected"),
    [
        (".*", "hello", False),
        (".*", "look: .* here", True),
        ("(", "hello", False),
        ("(", "a smile :(", True),
        ("[a-z]+", "hello", False),
        ("a|b", "a", False),
        ("a.c", "abc", False),
        ("a.c", "a.c", True),
    ],
)
def test_regex_syntax_is_literal_text(word, text, expected):
    assert WordMatcher([word]).matches(text) is expected


def test_scripts_without_spaces_match_inside_words():
    matcher = WordMatcher(["バカ"])
    assert matcher.matches("お前はバカだ")
    assert not matcher.matches("お前は天才だ")


def test_an_empty_matcher_matches_nothing():
    matcher = WordMatcher([])
    assert not matcher
    assert not matcher.matches("anything at all")


def test_a_word_list_is_compiled_once_per_list():
    words = ("alpha", "beta")
    assert matcher_for(words) is matcher_for(("alpha", "beta"))
    assert matcher_for(words) is not matcher_for(("alpha",))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Spam", "SPAM"),
        ("spam", " spam "),
        ("café", "CAFE"),
        ("\uff53\uff50\uff41\uff4d", "spam"),
        ("sp4m", "spam"),
    ],
)
def test_duplicate_keys_ignore_case_accents_width_and_l33t(first, second):
    assert hidden_word_key(first) == hidden_word_key(second)


def test_the_shipped_list_is_a_plain_text_file_with_words():
    assert len(settings.DM_FILTER_WORDS) >= 50
    assert all(word == word.strip() and word for word in settings.DM_FILTER_WORDS)
    assert not any(word.startswith("#") for word in settings.DM_FILTER_WORDS)

"""Hidden words: does a message request's text contain an offensive word or phrase?

One Aho-Corasick automaton (pyahocorasick, as Zulip's alert words) per word
list, built once and cached: a message costs one pass over its text, however
many words are listed. Text and words go through the same normalisation, so
matching ignores case, accents and width (NFKC + casefold, combining marks
dropped) and sees through common disguises:

- l33t digits and symbols (`0` o, `1 ! |` i/l, `3` e, `4 @` a, `5 $` s, `7 +` t…);
  look-alike letters share one canonical letter (`i` and `l` are both `i`);
- repeated letters: runs are collapsed, and a hit is kept only where each run
  of the text is at least as long as the word's (`fuuuck` is `fuck`, but `as`
  is not `ass`);
- separators between letters: `f.u.c.k`, `f u c k`, `sh-it` and `sh_it`.

Words and phrases match whole words of the text (`class` does not contain
`ass`); in scripts written without spaces (CJK) they match anywhere. A word
made only of punctuation or symbols (`(`, `.*`) has nothing to normalise, so
it matches as literal text: nothing a user types is ever a regular expression.
"""

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

# Digits and symbols that stand for letters, and letters that stand for each other.
_LOOKALIKES = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "!": "i",
        "|": "i",
        "l": "i",
        "3": "e",
        "€": "e",
        "4": "a",
        "@": "a",
        "5": "s",
        "$": "s",
        "7": "t",
        "+": "t",
        "8": "b",
        "9": "g",
    }
)
_LOOKALIKE_SYMBOLS = frozenset(key for key in map(chr, _LOOKALIKES) if not key.isalnum())
_PUNCTUATION_LOOKALIKES = "!|"
_SPACE = " "
# `!` or `|` with no letter on one side: punctuation (`fuck!`), not a letter (`sh!t`).
_EDGE_PUNCTUATION = re.compile(r"(?<![^\W_])[!|]+|[!|]+(?![^\W_])")
_REPEATS = re.compile(r"(.)\1+")
_SYMBOLS_CLASS = re.escape("".join(sorted(_LOOKALIKE_SYMBOLS)))
# A word, once look-alikes are letters: letters and digits (not `_`, which separates).
_WORD = re.compile(r"[^\W_]+")
# What `join_symbols` drops: everything but word characters, look-alikes and whitespace.
_SEPARATOR = re.compile(rf"_|[^\w\s{_SYMBOLS_CLASS}]")
# Below this code point a script separates words with spaces; from CJK on it does not.
_SPACELESS_SCRIPTS_START = 0x2E80


def _fold(text: str) -> str:
    """NFKC + casefold, then accents dropped (NFKD without its combining marks)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _tokens(folded: str, *, join_symbols: bool) -> list[str]:
    """Words of letters, digits and look-alike symbols, look-alikes mapped to letters.

    Whitespace always separates words. Other separators (punctuation, symbols)
    separate words too, or, with `join_symbols`, are dropped so that `sh.it` is
    one word. `!` and `|` at either end of a word are punctuation, not letters
    (`fuck!`). Runs of single letters (`f u c k`, `f.u.c.k`) join into one word.
    """
    if join_symbols:
        folded = _SEPARATOR.sub("", folded)
    mapped = _EDGE_PUNCTUATION.sub(_SPACE, folded).translate(_LOOKALIKES)
    joined: list[str] = []
    for single, group in itertools.groupby(_WORD.findall(mapped), key=lambda w: len(w) == 1):
        if single:
            joined.append("".join(group))
        else:
            joined.extend(group)
    return joined


def _runs(text: str) -> tuple[str, tuple[int, ...]]:
    """Collapse repeated characters: ("fuuck") → ("fuck", (1, 2, 1, 1))."""
    letters: list[str] = []
    counts: list[int] = []
    for char, group in itertools.groupby(text):
        letters.append(char)
        counts.append(len(list(group)))
    return "".join(letters), tuple(counts)


def _forms(text: str) -> set[str]:
    """The normalised forms of a text: symbols as separators, and symbols dropped."""
    folded = _fold(text)
    return {
        _SPACE.join(words)
        for words in (_tokens(folded, join_symbols=False), _tokens(folded, join_symbols=True))
        if words
    }


def _literal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _needs_boundary(char: str) -> bool:
    return ord(char) < _SPACELESS_SCRIPTS_START


@dataclass(frozen=True)
class _Pattern:
    counts: tuple[int, ...]
    left_boundary: bool
    right_boundary: bool


class WordMatcher:
    """A compiled word list: `matches(text)` is one automaton pass per form of the text."""

    def __init__(self, words: Iterable[str]):
        self._words = ahocorasick.Automaton()
        self._literals = ahocorasick.Automaton()
        for word in words:
            forms = _forms(word)
            for form in forms:
                collapsed, counts = _runs(form)
                pattern = _Pattern(
                    counts, _needs_boundary(collapsed[0]), _needs_boundary(collapsed[-1])
                )
                self._words.add_word(collapsed, (len(collapsed), pattern))
            if not forms and _literal(word).strip():
                literal = _literal(word).strip()
                self._literals.add_word(literal, literal)
        self._has_words = len(self._words) > 0
        self._has_literals = len(self._literals) > 0
        if self._has_words:
            self._words.make_automaton()
        if self._has_literals:
            self._literals.make_automaton()

    def __bool__(self) -> bool:
        return self._has_words or self._has_literals

    def matches(self, text: "str | PreparedText") -> bool:
        prepared = text if isinstance(text, PreparedText) else PreparedText(text)
        if self._has_literals and next(self._literals.iter(prepared.literal), None) is not None:
            return True
        if not self._has_words:
            return False
        return any(self._matches_form(form, collapsed) for form, collapsed in prepared.forms)

    def _matches_form(self, form: str, collapsed: str) -> bool:
        counts: tuple[int, ...] | None = None  # run lengths, worked out only for a hit
        for end, (length, pattern) in self._words.iter(collapsed):
            start = end - length + 1
            if pattern.left_boundary and start > 0 and collapsed[start - 1] != _SPACE:
                continue
            if pattern.right_boundary and end + 1 < len(collapsed) and collapsed[end + 1] != _SPACE:
                continue
            if counts is None:
                counts = _runs(form)[1]
            if all(
                have >= need
                for have, need in zip(counts[start : end + 1], pattern.counts, strict=True)
            ):
                return True
        return False


class PreparedText:
    """A message's text normalised once, for every matcher it is run through."""

    __slots__ = ("forms", "literal")

    def __init__(self, text: str):
        self.literal = _literal(text)
        self.forms = [(form, _REPEATS.sub(r"\1", form)) for form in _forms(text)]


def hidden_word_key(word: str) -> str:
    """What makes two hidden words the same word (`Spam` and `SPAM`): for duplicates."""
    return min(_forms(word), default=_literal(word).strip())


@functools.lru_cache(maxsize=4096)
def matcher_for(words: tuple[str, ...]) -> WordMatcher:
    """The compiled matcher of one word list, built once per process and list.

    Keyed by the words themselves: a user who edits their hidden words gets a new
    key, so a cached matcher can never be stale, and no version needs storing.
    """
    return WordMatcher(words)


def read_word_list(text: str) -> tuple[str, ...]:
    """A word list file's words: one word or phrase a line; blank lines and `#` comments skipped."""
    words = (line.strip() for line in text.splitlines())
    return tuple(dict.fromkeys(word for word in words if word and not word.startswith("#")))

"""The cost of filtering one message request (SPEC section 12): `make bench-filter`.

Times `request_is_filtered`'s matching, the built-in list plus a user's 100 hidden
words, on message bodies of several lengths; and compiling a matcher, which is
done once per word list and process (cached). No database: matching queries nothing.
"""

import os
import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dmsite.settings")
# DEBUG is off here as in production, which needs a key (any will do for a benchmark).
os.environ.setdefault("DJANGO_SECRET_KEY", "dmsite-bench-not-secret-" + "b" * 40)

import django

django.setup()

from django.conf import settings  # noqa: E402

from privacy.word_filter import PreparedText, WordMatcher, matcher_for  # noqa: E402

random.seed(15)
WORDS = [
    "".join(random.choices(string.ascii_lowercase, k=random.randint(4, 12))) for _ in range(400)
]
HIDDEN = tuple(
    f"{word} {WORDS[-index]}" if index % 3 == 0 else word for index, word in enumerate(WORDS[:100])
)


def body(characters: int) -> str:
    words: list[str] = []
    while sum(len(word) + 1 for word in words) < characters:
        words.append(random.choice(WORDS[100:]))
    return " ".join(words)[:characters]


def per_call(function, *, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    built_in = matcher_for(settings.DM_FILTER_WORDS)
    hidden = matcher_for(HIDDEN)
    print(f"built-in list: {len(settings.DM_FILTER_WORDS)} words; hidden words: {len(HIDDEN)}")
    compile_built_in = per_call(lambda: WordMatcher(settings.DM_FILTER_WORDS), repeat=200)
    compile_hidden = per_call(lambda: WordMatcher(HIDDEN), repeat=200)
    print(f"compile built-in list: {compile_built_in * 1e6:8.1f} µs (once per process)")
    print(f"compile 100 hidden words: {compile_hidden * 1e6:8.1f} µs (once per user and list)")
    print()
    print("| body length | built-in + 100 hidden words, µs per message |")
    print("|---|---|")
    for characters in (20, 200, 2000):
        texts = [body(characters) for _ in range(50)]
        assert not any(built_in.matches(text) or hidden.matches(text) for text in texts)

        def filter_all(texts=texts):
            # As the DM policy does: normalise once, run both matchers.
            for text in texts:
                prepared = PreparedText(text)
                built_in.matches(prepared) or hidden.matches(prepared)

        cost = per_call(filter_all, repeat=40) / len(texts)
        print(f"| {characters} | {cost * 1e6:.1f} |")


if __name__ == "__main__":
    main()

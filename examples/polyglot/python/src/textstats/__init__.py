"""Word statistics: counts and the most frequent words of a text.

Accented letters are folded to ASCII with text-unidecode, so "Crème" and "creme" are one word.
"""

import re
from collections import Counter

from text_unidecode import unidecode

__all__ = ["words", "word_count", "top_words"]

_WORD = re.compile(r"[a-z0-9']+")


def words(text):
    """The lower-cased, ASCII-folded words of ``text``."""
    return _WORD.findall(unidecode(text).lower())


def word_count(text):
    """How many words ``text`` has."""
    return len(words(text))


def top_words(text, n=3):
    """The ``n`` most frequent words as ``(word, count)`` pairs, ties in first-seen order."""
    return Counter(words(text)).most_common(n)

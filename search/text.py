"""Text analysis for the database backend: words -> stems, stop words, synonyms, typos.

The same functions analyse listings when they are indexed and queries when they are run,
so both sides agree on what a "term" is.
"""

import re
from functools import lru_cache

import snowballstemmer

from .synonyms import SYNONYM_GROUPS

WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Words that nearly every listing uses or that carry no meaning in a care search; a query of
# only these matches on filters and place alone.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "could",
        "do",
        "for",
        "from",
        "get",
        "go",
        "have",
        "help",
        "helps",
        "helping",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "mum",
        "mums",
        "dad",
        "dads",
        "of",
        "on",
        "or",
        "our",
        "service",
        "services",
        "someone",
        "somebody",
        "support",
        "supports",
        "supporting",
        "care",
        "caring",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "take",
        "taking",
        "want",
        "wants",
        "need",
        "needs",
        "looking",
        "local",
        "near",
        "with",
        "who",
        "what",
        "you",
        "your",
        "we",
        "us",
        "will",
        "would",
        "like",
        "please",
        "friendly",
        "aware",
    ]
)
_stemmer = snowballstemmer.stemmer("english")
ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def words(text: str) -> list[str]:
    """Lower-case words of `text`, apostrophes kept inside words ("alzheimer's")."""
    return WORD_RE.findall((text or "").lower().replace("\u2019", "'"))


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The English stem of one word ("walks" -> "walk", "gardening" -> "garden")."""
    return _stemmer.stemWord(word.replace("'", ""))


def _normalised(text: str) -> str:
    return " " + " ".join(words(text)) + " "


def synonym_markers(text: str) -> set[str]:
    """Markers ("~3") for each synonym group with a phrase that appears in `text`."""
    padded = _normalised(text)
    return {
        f"~{index}"
        for index, group in enumerate(SYNONYM_GROUPS)
        if any(f" {phrase} " in padded for phrase in group)
    }


def document_terms(text: str) -> set[str]:
    """Every stem and synonym marker in a listing's text (stop words included: they are cheap)."""
    return {stem(w) for w in words(text)} | synonym_markers(text)


def edits1(word: str) -> set[str]:
    """Every string one deletion, transposition, replacement or insertion away from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [left + right[1:] for left, right in splits if right]
    transposes = [left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1]
    replaces = [left + c + right[1:] for left, right in splits if right for c in ALPHABET]
    inserts = [left + c + right for left, right in splits for c in ALPHABET]
    return set(deletes + transposes + replaces + inserts)


def query_words(text: str) -> list[str]:
    """The meaningful words of a query, in order, without stop words or repeats."""
    seen, result = set(), []
    for word in words(text):
        if word not in STOP_WORDS and word not in seen:
            seen.add(word)
            result.append(word)
    return result

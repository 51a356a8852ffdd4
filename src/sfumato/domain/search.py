"""Finding a key's jobs by the words of their prompt and name (docs/dashboard.md, "Jobs"): the words a job
is found by, kept beside it (db/job_words.py), and the words a search asks for. Whole words, any case; a
plural finds its singular and the other way round, as English forms them ("foxes" finds "fox")."""

import re
import unicodedata

MAX_WORD = 40  # characters of a word kept (the column's width)
MAX_WORDS = 120  # words kept of one job: a prompt of 1000 characters has at most about 200
MAX_TERMS = 8  # words of one search
_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> list[str]:
    return [word[:MAX_WORD] for word in _WORD.findall(unicodedata.normalize("NFKC", text).casefold())]


def _singular(word: str) -> str | None:
    """English plurals' commonest forms: "foxes" → "fox", "cats" → "cat"; None when it is not one."""
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return None


def words_of(*texts: str | None) -> list[str]:
    """The words a job is found by: each word of its texts once, and the singular of a plural."""
    found: dict[str, None] = {}
    for text in texts:
        for word in _words(text or ""):
            found[word] = None
            if (singular := _singular(word)) is not None:
                found[singular] = None
    return list(found)[:MAX_WORDS]


def terms_of(query: str) -> list[str]:
    """The words a search asks for, each as a job keeps it: a plural asks for its singular."""
    terms: dict[str, None] = {}
    for word in _words(query):
        terms[_singular(word) or word] = None
    return list(terms)[:MAX_TERMS]

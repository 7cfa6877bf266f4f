"""Chinese word segmentation for catalog search (ARCHITECTURE.md: jieba, search mode, at index and query time).

The index stores jieba's search-mode tokens (every dictionary word and its two- and three-character
sub-words) joined by spaces, so FTS5's unicode61 tokenizer and PostgreSQL's ``simple`` parser see the
same words. A query word matches either as a whole or, as a fallback, through the sub-words that
cover it (``公交线路`` = ``公交线路`` OR (``公交`` AND ``线路``)), so a document that happened to be
segmented differently is still found.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import jieba

jieba.setLogLevel(logging.WARNING)

# Words of public data that jieba's default dictionary splits badly.
USER_WORDS = ["公共数据", "数据开放", "公交站点", "充电桩", "网约车", "医保定点", "统一社会信用代码", "中小学校"]
STOPWORDS = frozenset("的 了 和 与 及 或 等 在 是 对 为 由 之 其 及其 以及 并 将 各 个 有 无 之间".split())

@functools.cache
def _jieba() -> jieba.Tokenizer:
    """One tokenizer per process, built on first use (loading the dictionary takes about a second).

    Our own instance rather than jieba's global one, so our user words change nobody else's segmentation.
    """
    tok = jieba.Tokenizer()
    tok.initialize()
    for word in USER_WORDS:
        tok.add_word(word)
    return tok


def _keep(token: str) -> str | None:
    token = token.strip().lower()
    if not any(ch.isalnum() for ch in token) or token in STOPWORDS:
        return None
    return token


def index_tokens(text: str) -> list[str]:
    """The search-mode tokens of ``text``, lower-cased, without punctuation and stop words."""
    return [t for t in (_keep(w) for w in _jieba().cut_for_search(text or "")) if t]


def index_text(text: str) -> str:
    return " ".join(index_tokens(text))


@dataclass(frozen=True)
class QueryWord:
    """One word of a query: it matches as ``word`` or, failing that, as all of ``parts``."""

    word: str
    parts: tuple[str, ...] = ()

    def terms(self) -> list[str]:
        return [self.word, *self.parts]


def _cover(word: str, subwords: list[str]) -> tuple[str, ...]:
    """Non-overlapping two-character sub-words covering ``word`` from the left (空气质量 -> 空气, 质量)."""
    pairs = {s for s in subwords if len(s) == 2}
    parts: list[str] = []
    i = 0
    while i < len(word) - 1:
        if word[i:i + 2] in pairs:
            parts.append(word[i:i + 2])
            i += 2
        else:
            i += 1
    return tuple(parts) if len(parts) > 1 else ()


def query_words(q: str | None) -> list[QueryWord]:
    """The words of a search query, each with its fallback sub-words; empty when nothing searchable."""
    tok = _jieba()
    words: list[QueryWord] = []
    seen: set[str] = set()
    for raw in tok.cut(q or ""):
        word = _keep(raw)
        if word is None or word in seen:
            continue
        seen.add(word)
        subwords = [s for s in (_keep(x) for x in tok.cut_for_search(word)) if s and s != word]
        words.append(QueryWord(word, _cover(word, subwords)))
    return words


def highlight_terms(words: list[QueryWord]) -> list[str]:
    """Every term worth marking in a result, longest first (so 公交线路 wins over 公交)."""
    terms = {t for w in words for t in w.terms()}
    return sorted(terms, key=lambda t: (-len(t), t))

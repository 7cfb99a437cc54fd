"""Retrieval: Okapi BM25 over the paragraphs of a small document set, deterministic and offline."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

DOCUMENTS = Path(__file__).parent / "documents"
_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have how i if in is it its my no not of on or so "
    "that the their them then there these they this to too was what when where which who why will with "
    "you your".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-cased words without stopwords; a light plural strip so "tokens" finds "token"."""
    words = (w for w in _WORD.findall(text.lower()) if w not in STOPWORDS)
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words]


@dataclass(frozen=True)
class Passage:
    """One paragraph of one document."""

    document_id: str
    title: str
    text: str


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


class BM25Index:
    """BM25 (k1=1.5, b=0.75) over passages; ``search`` returns the best-scoring ones, ties broken by order."""

    def __init__(self, passages: list[Passage], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.passages = passages
        self.k1, self.b = k1, b
        self._terms = [Counter(tokenize(f"{p.title} {p.text}")) for p in passages]
        self._lengths = [sum(t.values()) for t in self._terms]
        self._average = sum(self._lengths) / len(passages) if passages else 0.0
        frequency: Counter[str] = Counter()
        for terms in self._terms:
            frequency.update(terms.keys())
        n = len(passages)
        self._idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in frequency.items()}

    def search(self, query: str, k: int = 3) -> list[Hit]:
        """The ``k`` best passages with a positive score."""
        words = set(tokenize(query))
        scored: list[tuple[float, int]] = []
        for i, terms in enumerate(self._terms):
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * self._lengths[i] / self._average) if self._average else 0.0
            for word in words:
                tf = terms.get(word, 0)
                if tf:
                    score += self._idf[word] * tf * (self.k1 + 1) / (tf + norm)
            if score > 0:
                scored.append((score, i))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [Hit(self.passages[i], round(score, 4)) for score, i in scored[:k]]


def load_passages(directory: Path = DOCUMENTS) -> list[Passage]:
    """Every paragraph of every ``*.md`` document; the first ``#`` line is the title."""
    passages: list[Passage] = []
    for path in sorted(directory.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        title, _, body = text.partition("\n")
        for paragraph in re.split(r"\n\s*\n", body.strip()):
            cleaned = " ".join(paragraph.split())
            if cleaned:
                passages.append(Passage(path.stem, title.lstrip("# ").strip(), cleaned))
    return passages

"""The retrieval step: BM25 over the shipped documents, deterministic; the default generator cites what it used."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examples.rag_chat.app.generator import NO_ANSWER, ExtractiveGenerator
from examples.rag_chat.app.retrieval import BM25Index, Passage, load_passages, tokenize

INDEX = BM25Index(load_passages())


@pytest.mark.parametrize(
    ("question", "document"),
    [
        ("How long do sessions last?", "sessions"),
        ("How are passwords hashed and stored?", "passwords"),
        ("What happens when an admin bans a user?", "roles"),
        ("How do I verify a JWT with the jwks endpoint?", "tokens"),
        ("When are old conversations purged?", "retention"),
        ("Can I delete my whole account?", "privacy"),
        ("Which environment variable holds the PostgreSQL URL?", "deployment"),
    ],
)
def test_the_right_document_ranks_first(question: str, document: str) -> None:
    hits = INDEX.search(question)
    assert hits and hits[0].passage.document_id == document


def test_scores_follow_bm25() -> None:
    docs = [Passage("a", "A", "apple apple banana"), Passage("b", "B", "banana cherry"), Passage("c", "C", "date")]
    index = BM25Index(docs)
    hits = index.search("apple")
    assert [h.passage.document_id for h in hits] == ["a"]  # terms absent from a passage add nothing
    # idf(apple) = ln(1 + (3 - 1 + 0.5) / 1.5); tf=2; |a| = 3 tokens (its title "a" is a stopword),
    # |b| = 3 ("b banana cherry"), |c| = 2 ("c date"): average 8/3.
    idf = math.log(1 + 2.5 / 1.5)
    norm = 1.5 * (1 - 0.75 + 0.75 * 3 / (8 / 3))
    assert hits[0].score == round(idf * 2 * 2.5 / (2 + norm), 4)
    assert [h.passage.document_id for h in index.search("banana")] == ["a", "b"]  # a tie keeps document order
    assert [h.passage.document_id for h in index.search("banana cherry")] == ["b", "a"]


@given(st.text(max_size=300), st.integers(min_value=1, max_value=10))
def test_search_never_fails_and_is_ordered(query: str, k: int) -> None:
    hits = INDEX.search(query, k=k)
    assert len(hits) <= k
    assert all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits == INDEX.search(query, k=k)  # deterministic


@given(st.text(max_size=200))
def test_tokens_are_lowercase_words_without_stopwords(text: str) -> None:
    for token in tokenize(text):
        assert re.fullmatch(r"[a-z0-9]+", token) and token not in {"the", "and", "is"}


@pytest.mark.anyio
async def test_the_extractive_answer_cites_retrieved_passages() -> None:
    generator = ExtractiveGenerator()
    hits = INDEX.search("What does banning a user do to their sessions?")
    answer = await generator.answer("What does banning a user do to their sessions?", hits, [])
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
    assert cited and cited <= set(range(1, len(hits) + 1))
    assert "sessions" in answer.lower()
    assert await generator.answer("anything", [], []) == NO_ANSWER

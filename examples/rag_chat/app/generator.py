"""Answer generation behind a small interface; the default is offline and extractive (no model downloads)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .retrieval import Hit, tokenize

NO_ANSWER = "I could not find anything about that in the documents I know."
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Turn:
    """An earlier message of the conversation, oldest first."""

    role: str
    content: str


class AnswerGenerator(Protocol):
    """Turns a question and retrieved passages into the assistant's reply.

    Plug in an LLM by implementing this: ``create_app(generator=MyLLMGenerator())``.
    """

    name: str

    async def answer(self, question: str, hits: Sequence[Hit], history: Sequence[Turn]) -> str: ...


class ExtractiveGenerator:
    """Quotes the sentences of the retrieved passages that share the most words with the question."""

    name = "extractive-bm25"

    def __init__(self, max_sentences: int = 3) -> None:
        self.max_sentences = max_sentences

    async def answer(self, question: str, hits: Sequence[Hit], history: Sequence[Turn]) -> str:
        if not hits:
            return NO_ANSWER
        wanted = set(tokenize(question))
        candidates: list[tuple[int, int, int, str]] = []
        for rank, hit in enumerate(hits, start=1):
            for position, sentence in enumerate(_SENTENCE.split(hit.passage.text)):
                overlap = len(wanted & set(tokenize(sentence)))
                if overlap:
                    candidates.append((overlap, -rank, -position, f"{sentence} [{rank}]"))
        if not candidates:
            return NO_ANSWER
        best = sorted(candidates, reverse=True)[: self.max_sentences]
        # Present the chosen sentences in source order, so the answer reads naturally.
        best.sort(key=lambda c: (-c[1], -c[2]))
        return " ".join(c[3] for c in best)

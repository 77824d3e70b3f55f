"""The IG team's own files in knowledge/: synonyms and curated answers.

synonyms.yml maps the words staff use to the words the documents use, like QnA Maker's
alterations:

    holiday year: leave year
    memory stick: [USB stick, USB storage]

A question that contains the left-hand phrase is searched (by keywords and by meaning) as if
it also said the right-hand one. Only retrieval sees the addition; the router and the answer
type read the question as asked.

curated.yml maps question variants to an answer written by the IG team and the section it
comes from:

    - questions:
        - Is the counselling line open at night?
      answer: The Employee Assistance Programme is available 24 hours a day, 365 days a year.
      source: employee-assistance-programme.md
      section: The Employee Assistance Programme

A question close enough in meaning to one of the variants gets that answer, cited to that
section, ahead of retrieval. An entry whose section is not in the index is skipped (logged):
an answer is never cited to a passage staff cannot open.

Both files are read again whenever the index is swapped, and whenever either file changes
(the bot checks their size and time stamp before each batch of questions), so a saved edit is
live for the next question; cached answers are dropped with the old version.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from bot.errors import GlossaryError

log = logging.getLogger(__name__)

SYNONYMS_FILE = "synonyms.yml"
CURATED_FILE = "curated.yml"
# A curated answer needs a question this close to one of its variants (cosine, all-MiniLM-L6-v2):
# set on tests/eval_cases/tuning.jsonl paraphrases, well above unrelated questions (< 0.7).
CURATED_MIN = 0.86


@lru_cache(maxsize=4096)  # every question is checked against every line: compile each once
def _phrase(text: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, text.split())) + r"(?!\w)", re.I)


@dataclass(frozen=True)
class Synonyms:
    """Staff wording -> document wording, applied to retrieval queries."""

    pairs: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def parse(cls, text: str, name: str = SYNONYMS_FILE) -> Synonyms:
        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict):
            raise GlossaryError(f"{name}: expected lines of 'staff words: document words'")
        pairs = []
        for key, value in data.items():
            values = value if isinstance(value, list) else [value]
            if not str(key).strip() or not all(isinstance(v, str) and v.strip() for v in values):
                raise GlossaryError(f"{name}: {key!r} needs one or more phrases of words")
            pairs.append((str(key).strip(), tuple(v.strip() for v in values)))
        return cls(tuple(pairs))

    def expand(self, question: str) -> str:
        """The question plus the document wording of every staff phrase it contains."""
        extra = [v for key, values in self.pairs if _phrase(key).search(question) for v in values]
        extra = [v for v in dict.fromkeys(extra) if not _phrase(v).search(question)]
        return f"{question} ({'; '.join(extra)})" if extra else question


@dataclass(frozen=True)
class CuratedAnswer:
    questions: tuple[str, ...]
    answer: str
    source: str
    section: str


@dataclass(frozen=True)
class Curated:
    """Question variants -> an answer and the section it comes from."""

    entries: tuple[CuratedAnswer, ...] = ()
    vectors: np.ndarray | None = None  # one row per variant, in entry order
    owners: tuple[int, ...] = ()  # the entry of each row

    @classmethod
    def parse(cls, text: str, name: str = CURATED_FILE) -> Curated:
        data = yaml.safe_load(text) or []
        if not isinstance(data, list):
            raise GlossaryError(f"{name}: expected a list of entries (questions, answer, source, section)")
        entries = []
        for n, item in enumerate(data, 1):
            keys = {"questions", "answer", "source", "section"}
            if not isinstance(item, dict) or not keys <= set(item):
                raise GlossaryError(f"{name}: entry {n} needs {', '.join(sorted(keys))}")
            questions = item["questions"] if isinstance(item["questions"], list) else [item["questions"]]
            entries.append(
                CuratedAnswer(
                    tuple(str(q).strip() for q in questions if str(q).strip()),
                    str(item["answer"]).strip(),
                    str(item["source"]).strip(),
                    str(item["section"]).strip(),
                )
            )
        return cls(tuple(entries))

    def embedded(self, encode) -> Curated:
        """The same entries with their variants embedded (once per load)."""
        owners = tuple(i for i, e in enumerate(self.entries) for _ in e.questions)
        texts = [q for e in self.entries for q in e.questions]
        vectors = encode(texts) if texts else np.zeros((0, 1), np.float32)
        return Curated(self.entries, vectors, owners)

    def match(self, vector: np.ndarray) -> CuratedAnswer | None:
        """The entry whose variant is closest to the question, if close enough."""
        if self.vectors is None or not len(self.owners):
            return None
        sims = self.vectors @ vector
        best = int(np.argmax(sims))
        return self.entries[self.owners[best]] if float(sims[best]) >= CURATED_MIN else None


@dataclass(frozen=True)
class Glossary:
    synonyms: Synonyms = Synonyms()
    curated: Curated = Curated()

    @classmethod
    def load(cls, folders: list[Path]) -> Glossary:
        """Read synonyms.yml and curated.yml from the given knowledge folders (later ones add)."""
        pairs: list = []
        entries: list = []
        for folder in folders:
            if (folder / SYNONYMS_FILE).is_file():
                pairs += Synonyms.parse((folder / SYNONYMS_FILE).read_text(encoding="utf-8")).pairs
            if (folder / CURATED_FILE).is_file():
                entries += Curated.parse((folder / CURATED_FILE).read_text(encoding="utf-8")).entries
        return cls(Synonyms(tuple(pairs)), Curated(tuple(entries)))


def glossary_stamp(folders: list[Path]) -> tuple:
    """Size and modification time of each glossary file: changes when a file is edited."""
    out = []
    for folder in folders:
        for name in (SYNONYMS_FILE, CURATED_FILE):
            try:
                st = (folder / name).stat()
                out.append((str(folder), name, st.st_size, st.st_mtime_ns))
            except OSError:
                out.append((str(folder), name, None, None))
    return tuple(out)

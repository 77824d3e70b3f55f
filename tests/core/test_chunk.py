from bot.core.chunk import MAX_WORDS, chunk_document
from bot.core.load import load_document
from bot.core.records import Document, Section
from bot.core.text import words
from tests.conftest import KNOWLEDGE


def _doc(text: str, headings=("Scope",)) -> Document:
    return Document(source="p.md", title="Policy", sections=(Section(headings, text),), content_hash="h")


def test_chunks_follow_sections_and_name_them():
    doc = load_document(KNOWLEDGE / "staff-bulletin-2024-11-18.md", KNOWLEDGE)
    chunks = chunk_document(doc)
    assert {c.section for c in chunks} == {h for s in doc.sections for h in s.headings}
    conference = " ".join(c.text for c in chunks if c.section == "Employee conferences")
    assert "County Hall in Preston" in conference and "Burnley" in conference


def test_chunk_ids_are_stable_and_change_with_the_text():
    a = chunk_document(_doc("Lock your screen. Use MFA."))
    assert [c.id for c in a] == [c.id for c in chunk_document(_doc("Lock your screen. Use MFA."))]
    assert a[0].id != chunk_document(_doc("Lock your screen. Use a passkey."))[0].id


def test_long_sections_and_run_on_sentences_stay_under_the_model_limit(embedder):
    long_section = " ".join(f"Sentence number {i} says something about records retention." for i in range(80))
    run_on = " ".join(["word"] * 700)
    for text in (long_section, run_on):
        chunks = chunk_document(_doc(text))
        assert len(chunks) > 1
        for c in chunks:
            assert len(words(c.text)) <= MAX_WORDS
            # what the model really sees, in word pieces, with the headings prefixed
            assert embedder.count_tokens(c.embedding_text()) < 256
        assert " ".join(c.text for c in chunks).split() == text.split()

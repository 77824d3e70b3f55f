"""Word, PDF and HTML files, generated here with real writers, load with headings, pages and metadata."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from bot.core.chunk import chunk_document
from bot.core.load import LoadError, file_hash, iter_knowledge_files, load_document


def write_docx(path: Path, title: str | None = None) -> Path:
    d = docx.Document()
    if title:
        d.core_properties.title = title
    d.add_heading("Records Retention", level=1)
    d.add_paragraph("Keep records only as long as the schedule says.")
    d.add_heading("Personnel files", level=2)
    d.add_paragraph("Personnel files are kept for six years after employment ends.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Record", "Retention"
    table.cell(1, 0).text, table.cell(1, 1).text = "Payroll", "Seven years"
    d.add_heading("Destruction", level=2)
    d.add_paragraph("Confidential waste goes in the locked blue bins.")
    d.save(path)
    return path


def write_pdf(path: Path, pages: list[tuple[str, str]], title: str | None = None) -> Path:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for heading, text in pages:
        pdf.add_page()
        if heading:
            pdf.start_section(heading)  # a bookmark in the outline
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def test_word_headings_become_the_section_path_and_tables_are_text(tmp_path: Path):
    write_docx(tmp_path / "retention.docx", title="Records Retention Schedule")
    doc = load_document(tmp_path / "retention.docx", tmp_path)
    assert doc.title == "Records Retention Schedule"
    assert [s.headings for s in doc.sections] == [
        ("Records Retention",),
        ("Records Retention", "Personnel files"),
        ("Records Retention", "Destruction"),
    ]
    assert "Payroll | Seven years" in doc.sections[1].text
    chunks = chunk_document(doc)
    assert any(c.section == "Records Retention › Destruction" and "blue bins" in c.text for c in chunks)


def test_pdf_pages_are_kept_so_citations_carry_page_numbers(tmp_path: Path):
    write_pdf(
        tmp_path / "breach.pdf",
        [
            ("Reporting a breach", "Report a data breach to the IG team within 24 hours."),
            ("", "Use the online e-form and keep a copy of the reference."),
            ("Investigation", "The IG team decides within 72 hours whether to tell the ICO."),
        ],
        title="Data Breach Procedure",
    )
    doc = load_document(tmp_path / "breach.pdf", tmp_path)
    assert doc.title == "Data Breach Procedure"
    assert [(s.headings, s.page) for s in doc.sections] == [
        (("Reporting a breach",), 1),
        (("Reporting a breach",), 2),  # a page without a bookmark belongs to the one before
        (("Investigation",), 3),
    ]
    chunk = next(c for c in chunk_document(doc) if "72 hours" in c.text)
    assert chunk.page == 3 and chunk.section == "Investigation"


def test_html_keeps_h1_to_h6_and_drops_scripts_and_navigation(tmp_path: Path):
    (tmp_path / "foi.html").write_text(
        "<html><head><title>FOI procedure</title><meta name='author' content='IG Team'>"
        "<link rel='canonical' href='https://intranet.example/foi'><script>var x = 'secret';</script></head>"
        "<body><nav><a href='/'>Home</a></nav><main><h1>Freedom of Information</h1><p>Requests must be "
        "answered within <b>20 working days</b>.</p><h2>Exemptions</h2><ul><li>Personal data is "
        "exempt.</li><li><p>Commercial interests may be.</p></li></ul></main><footer>Footer</footer></body></html>",
        encoding="utf-8",
    )
    doc = load_document(tmp_path / "foi.html", tmp_path)
    assert doc.title == "FOI procedure" and doc.url == "https://intranet.example/foi"
    assert doc.meta["owner"] == "IG Team"
    assert [s.headings for s in doc.sections] == [
        ("Freedom of Information",),
        ("Freedom of Information", "Exemptions"),
    ]
    assert doc.sections[0].text == "Requests must be answered within 20 working days."
    assert doc.sections[1].text.count("Commercial interests") == 1
    everything = " ".join(s.text for s in doc.sections)
    assert "secret" not in everything and "Home" not in everything and "Footer" not in everything


def test_sidecar_yaml_gives_binary_files_their_metadata_and_counts_as_a_change(tmp_path: Path):
    write_pdf(tmp_path / "leave.pdf", [("Leave", "Full-time staff get 26 days of annual leave.")], title="x")
    before = file_hash(tmp_path / "leave.pdf")
    (tmp_path / "leave.pdf.yml").write_text(
        "title: Annual Leave Policy\nurl: https://intranet.example/leave\nowner: HR\ndate: 2025-04-01\n"
        "audience: All staff\n"
    )
    doc = load_document(tmp_path / "leave.pdf", tmp_path)
    assert (doc.title, doc.url, doc.date) == ("Annual Leave Policy", "https://intranet.example/leave", "2025-04-01")
    assert doc.meta["owner"] == "HR" and doc.meta["audience"] == "All staff"
    assert file_hash(tmp_path / "leave.pdf") != before  # editing the sidecar re-indexes the file
    assert [p.name for p in iter_knowledge_files(tmp_path)] == ["leave.pdf"]  # the sidecar is not a document


def test_text_files_may_have_front_matter(tmp_path: Path):
    (tmp_path / "note.txt").write_text("---\ntitle: Printing note\ndate: 2025-01-02\n---\nPrint double-sided.\n")
    doc = load_document(tmp_path / "note.txt", tmp_path)
    assert (doc.title, doc.date, doc.sections[0].text) == ("Printing note", "2025-01-02", "Print double-sided.")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.docx", b"PK\x03\x04 not really a zip", "broken.docx"),
        ("broken.pdf", b"%PDF-1.7\nnonsense", "broken.pdf"),
        ("scan.pdf", None, "no text layer"),
        ("sidecar.txt", b"Fine text.", "must be a mapping"),
    ],
)
def test_files_that_cannot_be_parsed_are_load_errors_that_say_why(tmp_path: Path, name, content, reason):
    path = tmp_path / name
    if content is None:  # a PDF with a page but no text on it, as a scanner makes
        pdf = FPDF()
        pdf.add_page()
        pdf.output(str(path))
    else:
        path.write_bytes(content)
    if name == "sidecar.txt":
        (tmp_path / "sidecar.txt.yml").write_text("- just\n- a list\n")
    with pytest.raises(LoadError, match=reason):
        load_document(path, tmp_path)

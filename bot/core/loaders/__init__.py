"""Parsers for the binary and markup formats the IG team drops into knowledge/.

Each module turns one format into metadata plus Sections (heading path, text, page), so that
citations name the section, and for PDFs the page, a quote came from.
"""

"""Lancashire County Council governance assistant: cited answers from council documents."""

__version__ = "0.1.0"

"""The bot's own exceptions share one root, so callers can tell them from programming mistakes."""

from bot import errors
from bot.core.index_store import IndexInconsistent, IndexMissing
from bot.core.load import LoadError
from bot.teams.replies import ReplyFailed


def test_every_error_the_bot_raises_on_purpose_has_the_one_root():
    ours = [v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, Exception)]
    assert len(ours) >= 7 and all(issubclass(e, errors.GovernanceBotError) for e in ours)
    # the modules that raise them use these very classes (no twin definitions)
    assert IndexMissing is errors.IndexMissing and LoadError is errors.LoadError and ReplyFailed is errors.ReplyFailed
    assert issubclass(IndexInconsistent, IndexMissing)  # an inconsistent index is unusable, as if missing


def test_no_module_defines_a_public_exception_outside_the_root():
    """Private control-flow exceptions (`_SendAgain`) are fine; a public one belongs in bot/errors.py."""
    import importlib
    import pkgutil

    import bot

    outside = []
    for info in pkgutil.walk_packages(bot.__path__, "bot."):
        if ".migrations" in info.name or info.name == "bot.__main__":  # running it starts the CLI
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            public_ours = not name.startswith("_") and getattr(value, "__module__", "").startswith("bot.")
            an_error = isinstance(value, type) and issubclass(value, Exception)
            if public_ours and an_error and not issubclass(value, errors.GovernanceBotError):
                outside.append(f"{info.name}.{name}")
    assert outside == []

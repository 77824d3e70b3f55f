"""The botbuilder internals bot/teams/sdk_patches.py changes: pinned, so an upgrade is a decision."""

from __future__ import annotations

from importlib.metadata import version

from bot.teams import sdk_patches


def test_the_installed_sdk_is_the_version_the_patches_were_written_for():
    """Upgrading botbuilder fails here first: re-check each patch in sdk_patches, then bump the pin."""
    for package in ("botbuilder-core", "botbuilder-integration-aiohttp", "botframework-connector"):
        assert version(package) == sdk_patches.PATCHED_VERSION, package


def test_apply_patches_what_it_names_and_is_idempotent():
    from botbuilder.core import turn_context
    from botframework.connector.auth import jwt_token_extractor

    sdk_patches.apply()
    sdk_patches.apply()
    assert turn_context.deepcopy.__module__ == sdk_patches.__name__
    metadata = jwt_token_extractor._OpenIdMetadata
    assert metadata._off_loop is True and metadata._find is sdk_patches._find_or_none

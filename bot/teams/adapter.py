"""The Teams adapter: botbuilder's CloudAdapter with the SDK's inbound authentication, the lean
reply path (bot.teams.replies) and the service's turn-error handler.

- inbound: the SDK authenticates every request (the Bot Framework JWT, its issuer, audience,
  signing key and `serviceurl` claim); any failure is a 401;
- outbound: replies go through `ReplySender`, never through a per-turn connector client;
- a turn that fails tells the user something safe with a reference, and logs the traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from botbuilder.core import Bot, InvokeResponse, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from botframework.connector.auth import AuthenticationConstants, BotFrameworkAuthentication
from msrest.serialization import Deserializer

from bot.teams import sdk_patches
from bot.teams.replies import ReplySender, TokenSource, authority_for
from bot.web import ACTIVITY_BODY, FORBIDDEN_TENANT, TENANT_ALLOWED

log = logging.getLogger(__name__)

# What `Activity().deserialize(body)` does, with its Deserializer built once: msrest builds one per
# call from every model class of the schema (0.2 ms of the event loop's CPU a request). It keeps no
# state between calls.
_ACTIVITY = Deserializer(Activity._infer_class_models())


class TeamsAdapter(CloudAdapter):
    """CloudAdapter with the SDK's authentication and a lean reply path."""

    def __init__(
        self, authentication: BotFrameworkAuthentication, sender: ReplySender, require_service_url_claim: bool = False
    ) -> None:
        super().__init__(authentication)
        self.sender = sender
        self.require_service_url_claim = require_service_url_claim

    async def process(self, request: web.Request, bot: Bot, ws_response: web.WebSocketResponse | None = None):
        """POST only (the body was validated by bot.web); a PermissionError anywhere is a 401."""
        if request.method != "POST":
            raise web.HTTPMethodNotAllowed(request.method, ["POST"])
        body = request.get(ACTIVITY_BODY)
        activity = _ACTIVITY("Activity", body if body is not None else await request.json())
        auth = request.headers.get("Authorization", "")
        try:
            result = await self._authenticate(auth, activity)
            if not request.get(TENANT_ALLOWED, True):  # only now: before it, every caller gets the same 401
                log.info("refused activity reason=tenant not allowed")
                raise web.HTTPForbidden(text=json.dumps({"error": FORBIDDEN_TENANT}), content_type="application/json")
            invoke = await self.process_activity(result, activity, bot.on_turn)
        except PermissionError as exc:
            raise web.HTTPUnauthorized(
                text='{"error": "the request is not authorised"}', content_type="application/json"
            ) from exc
        if invoke is None:
            return web.Response(status=201)
        body = invoke.body
        if body is not None and not isinstance(body, dict | list | str | int | float | bool):
            body = serializer_helper(body)
        return web.json_response(body, status=invoke.status)

    async def _authenticate(self, auth_header: str, activity: Activity):  # type: ignore[no-untyped-def]
        try:
            return await self.bot_framework_authentication.authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except OSError as exc:  # the signing keys could not be fetched: our problem, not the caller's
            log.warning("signing keys unavailable (%s)", type(exc).__name__)
            raise web.HTTPServiceUnavailable(headers={"Retry-After": "30"}) from exc
        except Exception as exc:  # unknown key id, bad endorsement, undecodable token: unauthenticated
            raise PermissionError(f"token rejected ({type(exc).__name__})") from exc

    async def process_activity(
        self, auth_header_or_result, activity: Activity, logic: Callable[[TurnContext], Awaitable]
    ):
        if isinstance(auth_header_or_result, str):
            result = await self._authenticate(auth_header_or_result, activity)
        else:
            result = auth_header_or_result
        if self.require_service_url_claim:
            # Reply only where the channel's token says: the serviceurl claim must match exactly.
            claims = result.claims_identity.claims if result.claims_identity else {}
            if claims.get(AuthenticationConstants.SERVICE_URL_CLAIM) != activity.service_url:
                raise PermissionError("the token does not vouch for this serviceUrl")
        activity.caller_id = result.caller_id
        # No per-turn ConnectorClient or UserTokenClient (about 20 ms of CPU together): replies go
        # through send_activities below; the factory stays available for anything that needs a client.
        context = self._create_turn_context(
            activity, result.claims_identity, result.audience, None, None, logic, result.connector_factory
        )
        await self.run_pipeline(context, logic)
        return self._process_turn_results(context)

    def _process_turn_results(self, context: TurnContext):  # type: ignore[no-untyped-def]
        """An invoke nobody handled is the sender's request we don't support: 400, not the SDK's 501."""
        result = super()._process_turn_results(context)
        if context.activity.type == ActivityTypes.invoke and (result is None or result.status >= 500):
            name = context.activity.name if isinstance(context.activity.name, str) else ""
            return InvokeResponse(status=400, body={"error": f"this bot does not handle the invoke '{name[:100]}'"})
        return result

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        responses = []
        for activity in activities:
            activity.id = None
            if activity.type == ActivityTypes.invoke_response:
                context.turn_state[self._INVOKE_RESPONSE_KEY] = activity
                responses.append(ResourceResponse(id=""))
            elif activity.type in (ActivityTypes.trace, "delay"):
                responses.append(ResourceResponse(id=""))
            else:
                responses.append(await self.sender.send(activity))
        return responses


def authentication(settings) -> BotFrameworkAuthentication:  # type: ignore[no-untyped-def]
    """The SDK's configuration-driven authentication, public cloud unless endpoints are overridden.

    Overriding the OpenID metadata URL switches the SDK to its parameterised mode, which needs
    every endpoint: the rest keep their public-cloud values.
    """
    from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
    from botbuilder.schema import CallerIdConstants

    class _Config:
        APP_ID = settings.app_id
        APP_PASSWORD = settings.app_password
        APP_TYPE = settings.app_type
        APP_TENANTID = settings.app_tenant_id

    if settings.openid_metadata_url:
        _Config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.openid_metadata_url
        _Config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
        _Config.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
            AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
        )
        _Config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        _Config.TO_CHANNEL_FROM_BOT_LOGIN_URL = authority_for(
            settings.app_type, settings.app_tenant_id, settings.login_url or None
        )
        _Config.OAUTH_URL = AuthenticationConstants.OAUTH_URL
        _Config.CALLER_ID = CallerIdConstants.public_azure_channel
    return ConfigurationBotFrameworkAuthentication(_Config())


async def on_error(context: TurnContext, error: Exception) -> None:
    """Tell the user something safe, with a reference; the log has the traceback under it."""
    from bot.logs import correlation_id, safe_traceback

    correlation = correlation_id.get()
    # Frames and types only: a database error's message holds its SQL parameters (Teams ids, the
    # roster's email address, the question), and other messages may quote what was typed.
    log.error("turn failed correlation=%s\n%s", correlation, safe_traceback(error))
    try:
        await context.send_activity(
            f"Sorry, something went wrong on my side. Please try again. (reference {correlation})"
        )
    except Exception:  # the channel itself may be unreachable; the log has the details
        log.warning("could not tell the user about failure correlation=%s", correlation)


def make_adapter(settings) -> TeamsAdapter:  # type: ignore[no-untyped-def]
    """The adapter for the settings: authentication (none without an app id) and the reply path."""
    sdk_patches.apply()
    tokens = None
    if not settings.anonymous and settings.app_password:
        authority = authority_for(settings.app_type, settings.app_tenant_id, settings.login_url or None)
        tokens = TokenSource(settings.app_id, settings.app_password, authority, "https://api.botframework.com")
    adapter = TeamsAdapter(
        authentication(settings), ReplySender(tokens), require_service_url_claim=not settings.anonymous
    )
    adapter.on_turn_error = on_error
    return adapter

"""Canary: the discord.py internals the fake relies on still exist and behave as assumed (discord.py ~= 2.7)."""

from __future__ import annotations

import inspect

import discord
import discord.gateway
import discord.http
import discord.interactions
import discord.webhook.async_
import yarl


def test_discord_py_version_is_the_one_the_fake_was_written_for() -> None:
    assert (discord.version_info.major, discord.version_info.minor) == (2, 7)


def test_redirection_points_exist() -> None:
    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert isinstance(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)
    # webhook/interaction routes are built from the same Route class, so one override redirects everything
    assert discord.webhook.async_.Route is discord.http.Route
    route = discord.http.Route("GET", "/channels/{channel_id}", channel_id=1)
    assert route.url == "https://discord.com/api/v10/channels/1"


def test_url_is_read_at_route_creation() -> None:
    old = discord.http.Route.BASE
    try:
        discord.http.Route.BASE = "http://127.0.0.1:1/api/v10"
        assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:1/api/v10/users/@me"
    finally:
        discord.http.Route.BASE = old


def test_json_only_for_exact_content_type() -> None:
    source = inspect.getsource(discord.http.json_or_text)
    assert "response.headers['content-type'] == 'application/json'" in source


def test_429_needs_via_header_and_retry_after() -> None:
    source = inspect.getsource(discord.http.HTTPClient.request)
    assert "response.headers.get('Via')" in source and "data['retry_after']" in source
    assert "response.headers.get('Via')" in inspect.getsource(discord.webhook.async_.AsyncWebhookAdapter.request)


def test_routes_the_fake_serves() -> None:
    pin = inspect.getsource(discord.http.HTTPClient.pin_message)
    assert "'/channels/{channel_id}/messages/pins/{message_id}'" in pin
    assert "'/channels/{channel_id}/messages/pins'" in inspect.getsource(discord.http.HTTPClient.pins_from)
    callback = inspect.getsource(discord.webhook.async_.AsyncWebhookAdapter.create_interaction_response)
    assert "'/interactions/{webhook_id}/{webhook_token}/callback'" in callback and "'with_response'" in callback
    assert "use_nested_fields" in inspect.getsource(discord.http.HTTPClient.start_thread_in_forum)


def test_interaction_payload_keys_the_fake_must_send() -> None:
    source = inspect.getsource(discord.interactions.Interaction._from_data)
    for key in ("data['attachment_size_limit']", "data['version']", "data['token']", "data['application_id']"):
        assert key in source
    assert "resume_gateway_url" in inspect.getsource(discord.gateway.DiscordWebSocket.received_message)
    # binary frames are decompressed; the fake's TEXT frames are parsed as-is, whatever `compress` says
    assert "if type(msg) is bytes:" in inspect.getsource(discord.gateway.DiscordWebSocket.received_message)

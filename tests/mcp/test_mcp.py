"""A real MCP client against the live server's /mcp: the handshake, the tools each key's scopes
allow, every tool once compared with the REST API's answer for the same resource, and the
refusals (scope, unknown id, invalid arguments, no key, revoked key, rate limit).

scripts/mcp-test starts the servers and sets MCP_TEST_*; keys are made with the CLI."""

import asyncio
import json
import os
import subprocess
import uuid

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

BIN = os.environ["MCP_TEST_BIN"]
URL = os.environ["MCP_TEST_URL"]
DATABASE = os.environ["MCP_TEST_DATABASE_URL"]
LIMITED_URL = os.environ["MCP_TEST_LIMITED_URL"]
LIMITED_DATABASE = os.environ["MCP_TEST_LIMITED_DATABASE_URL"]

ALL_SCOPES = "posts:read,posts:write,posts:delete,ideas:read,ideas:write,analytics:read,profile:read"


def cli(database, *args):
    env = dict(os.environ, LINKEDGROW_DATABASE_URL=database)
    done = subprocess.run([BIN, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def new_key(scopes, database=DATABASE):
    """A key with `scopes` for a new Business user; returns (email, key)."""
    email = f"mcp-{uuid.uuid4().hex[:12]}@example.com"
    cli(database, "users", "create", "--email", email, "--name", "MCP Test", "--plan", "business")
    return email, cli(database, "keys", "create", "--email", email, "--name", "assistant", "--scopes", scopes)


def rest(method, path, key, body=None, base=URL):
    """The REST API's answer: (status, JSON body)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with httpx2.Client(base_url=base) as http:
        response = http.request(method, f"/api/v1{path}", headers=headers, json=body)
    return response.status_code, response.json()


def session(key, mode="auto", base=URL):
    """An MCP client session on /mcp with `key` (none when None)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    http = httpx2.AsyncClient(headers=headers)
    transport = streamable_http_client(f"{base}/mcp", http_client=http)
    return http, Client(transport, mode=mode)


def run(key, steps, mode="auto", base=URL):
    """Runs `steps(client)` in one session and answers what it returns."""

    async def main():
        http, client = session(key, mode, base)
        async with http, client:
            return await steps(client)

    return asyncio.run(main())


def call(key, tool, arguments, base=URL):
    async def steps(client):
        return await client.call_tool(tool, arguments)

    return run(key, steps, base=base)


def ok(result):
    assert result.is_error is False, result
    return result.structured_content


def error(result):
    assert result.is_error is True, result
    assert result.content[0].text.startswith(result.structured_content["error"]["code"] + ": ")
    return result.structured_content["error"]


def raw_mcp_post(key, base=URL):
    """One JSON-RPC request without the client, to see the HTTP answer itself."""
    headers = {"Accept": "application/json, text/event-stream"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    with httpx2.Client() as http:
        return http.post(f"{base}/mcp", headers=headers, json=body)


def test_initialize_then_list_and_call_in_the_handshake_protocol():
    _, key = new_key("posts:read")

    async def steps(client):
        listed = await client.list_tools()
        checked = await client.call_tool("validate_post", {"content": "Hi"})
        return client.server_info, client.server_capabilities, client.protocol_version, listed, checked

    info, capabilities, version, listed, checked = run(key, steps, mode="legacy")
    assert info.name == "linkedgrow"
    assert capabilities.tools is not None
    assert version.startswith("2025-")
    assert {tool.name for tool in listed.tools} == {"list_posts", "get_post", "validate_post"}
    assert ok(checked)["accepted"] is True


TOOLS_BY_SCOPES = {
    "posts:read": {"list_posts", "get_post", "validate_post"},
    "posts:write": {"create_post", "update_post", "publish_post"},
    "posts:delete": {"delete_post"},
    "ideas:read": {"list_ideas", "get_idea"},
    "ideas:write": {"create_idea", "update_idea", "delete_idea"},
    "ideas:write,posts:write": {
        "create_idea", "update_idea", "delete_idea", "convert_idea",
        "create_post", "update_post", "publish_post",
    },
    "analytics:read": {"get_analytics", "get_post_analytics"},
    "profile:read": {"get_profile"},
    "posts:read,posts:write": {"list_posts", "get_post", "validate_post", "create_post", "update_post", "publish_post"},
}


@pytest.mark.parametrize("scopes", sorted(TOOLS_BY_SCOPES))
def test_tools_list_shows_exactly_what_the_scopes_allow(scopes):
    _, key = new_key(scopes)

    async def steps(client):
        return await client.list_tools()

    listed = run(key, steps)
    assert {tool.name for tool in listed.tools} == TOOLS_BY_SCOPES[scopes]
    for tool in listed.tools:
        assert tool.description and "\n" not in tool.description
        assert tool.input_schema["type"] == "object"
        assert tool.annotations is not None


def test_every_tool_answers_what_the_rest_api_answers():
    _, key = new_key(ALL_SCOPES)

    async def steps(client):
        async def tool(name, **arguments):
            return await client.call_tool(name, arguments)

        seen = {}
        created = ok(await tool("create_post", content="Tuesday thoughts #growth"))
        seen["create_post"] = created
        post_id = created["id"]
        assert rest("GET", f"/posts/{post_id}", key) == (200, created)
        assert ok(await tool("get_post", id=post_id)) == created
        updated = ok(await tool("update_post", id=post_id, status="scheduled", scheduledAt="2099-03-03T09:00:00+01:00"))
        assert updated["status"] == "scheduled" and updated["scheduledAt"] == "2099-03-03T08:00:00Z"
        assert rest("GET", f"/posts/{post_id}", key) == (200, updated)
        listed = ok(await tool("list_posts", status="scheduled", limit=5))
        assert rest("GET", "/posts?status=scheduled&limit=5", key) == (200, listed)
        assert listed["posts"] == [updated]

        total = listed["total"]
        verdict = ok(await tool("validate_post", content="Hi (all) #rust", scheduledAt="2099-01-01T00:00:00Z"))
        assert verdict["accepted"] is True and verdict["length"] == 14 and verdict["maxLength"] == 3000
        assert verdict["commentary"] == "Hi \\(all\\) {hashtag|\\#|rust}"
        too_long = ok(await tool("validate_post", content="x" * 3001))
        assert too_long["accepted"] is False and too_long["failure"]["code"] == "INVALID_CONTENT"
        assert rest("GET", "/posts?status=scheduled", key)[1]["total"] == total, "a dry run creates nothing"

        idea = ok(await tool("create_idea", content="Hooks that work", notes="three of them", tags=["hooks"]))
        assert rest("GET", f"/ideas/{idea['id']}", key) == (200, idea)
        assert ok(await tool("get_idea", id=idea["id"])) == idea
        idea = ok(await tool("update_idea", id=idea["id"], notes=None, tags=["hooks", "writing"]))
        assert idea["notes"] is None
        assert rest("GET", f"/ideas/{idea['id']}", key) == (200, idea)
        ideas = ok(await tool("list_ideas", tag="writing", limit=10, offset=0))
        assert rest("GET", "/ideas?tag=writing&limit=10&offset=0", key) == (200, ideas)
        converted = ok(await tool("convert_idea", id=idea["id"]))
        assert rest("GET", f"/posts/{converted['id']}", key) == (200, converted)
        assert rest("GET", f"/ideas/{idea['id']}", key)[1]["postId"] == converted["id"]

        # No LinkedIn account is connected: publishing is refused as the REST API refuses it.
        refused = error(await tool("publish_post", id=converted["id"]))
        assert refused["code"] == "LINKEDIN_NOT_CONNECTED"
        assert rest("POST", f"/posts/{converted['id']}/publish", key) == (409, {"error": refused})
        not_published = error(await tool("get_post_analytics", id=post_id))
        assert rest("GET", f"/posts/{post_id}/analytics", key) == (409, {"error": not_published})

        figures = ok(await tool("get_analytics", **{"from": "2026-01-01", "to": "2026-01-31"}))
        assert rest("GET", "/analytics?from=2026-01-01&to=2026-01-31", key) == (200, figures)
        assert len(figures["daily"]) == 31
        profile = ok(await tool("get_profile"))
        assert rest("GET", "/profile", key) == (200, profile)

        assert ok(await tool("delete_idea", id=idea["id"])) == {"id": idea["id"], "deleted": True}
        assert rest("GET", f"/ideas/{idea['id']}", key)[0] == 404
        assert ok(await tool("delete_post", id=post_id)) == {"id": post_id, "deleted": True}
        assert rest("GET", f"/posts/{post_id}", key)[0] == 404
        return seen

    run(key, steps)


def test_a_tool_the_key_may_not_use_is_an_error_naming_the_missing_scope():
    _, reader = new_key("posts:read")
    refused = error(call(reader, "create_post", {"content": "Sneaky"}))
    assert refused == {"code": "INSUFFICIENT_SCOPE", "message": "this API key lacks the posts:write scope"}
    assert rest("GET", "/posts", reader)[1]["total"] == 0

    _, ideas_only = new_key("ideas:read,ideas:write")
    refused = error(call(ideas_only, "convert_idea", {"id": "idea_AAAAAAAAAAAAAAAA"}))
    assert refused["code"] == "INSUFFICIENT_SCOPE" and "posts:write" in refused["message"]


def test_an_unknown_id_is_not_found_as_in_the_rest_api():
    _, key = new_key(ALL_SCOPES)
    for tool, path in [("get_post", "/posts/post_AAAAAAAAAAAAAAAA"), ("get_idea", "/ideas/idea_AAAAAAAAAAAAAAAA")]:
        refused = error(call(key, tool, {"id": path.rsplit("/", 1)[1]}))
        assert rest("GET", path, key) == (404, {"error": refused})


@pytest.mark.parametrize(
    "tool, arguments, method, path, body",
    [
        ("create_post", {"content": "   "}, "POST", "/posts", {"content": "   "}),
        ("create_post", {"content": 5}, "POST", "/posts", {"content": 5}),
        ("create_post", {"content": "x", "colour": "red"}, "POST", "/posts", {"content": "x", "colour": "red"}),
        ("create_post", {"content": "x", "status": "scheduled", "scheduledAt": "2001-01-01T00:00:00Z"},
         "POST", "/posts", {"content": "x", "status": "scheduled", "scheduledAt": "2001-01-01T00:00:00Z"}),
        ("create_idea", {"content": "x", "tags": [""]}, "POST", "/ideas", {"content": "x", "tags": [""]}),
        ("list_posts", {"limit": 0}, "GET", "/posts?limit=0", None),
        ("list_posts", {"status": "lost"}, "GET", "/posts?status=lost", None),
        ("get_analytics", {"from": "2026-02-30"}, "GET", "/analytics?from=2026-02-30", None),
    ],
)
def test_invalid_arguments_get_the_rest_apis_code_and_message(tool, arguments, method, path, body):
    _, key = new_key(ALL_SCOPES)
    refused = error(call(key, tool, arguments))
    status, answer = rest(method, path, key, body)
    assert status == 400
    assert answer == {"error": refused}


def test_no_key_or_a_bad_key_is_refused_with_401_before_any_mcp_exchange():
    for key in [None, "lg_not_a_real_key"]:
        response = raw_mcp_post(key)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"
        with pytest.raises(Exception):
            run(key, lambda client: client.list_tools())


def test_a_revoked_key_is_refused_from_the_next_request_on():
    email, key = new_key("posts:read")
    listing = json.loads(cli(DATABASE, "keys", "list", "--email", email, "--json"))
    key_id = listing[0]["id"]

    async def steps(client):
        ok(await client.call_tool("list_posts", {}))
        cli(DATABASE, "keys", "revoke", key_id)
        with pytest.raises(Exception):
            await client.call_tool("list_posts", {})

    run(key, steps)
    response = raw_mcp_post(key)
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "UNAUTHORIZED", "message": "invalid or revoked API key"}


def test_over_the_rate_limit_a_call_is_an_error_saying_how_long_to_wait():
    _, key = new_key("posts:read", database=LIMITED_DATABASE)

    async def steps(client):
        # The handshake and listing are free; three calls use up the minute's three requests.
        await client.list_tools()
        await client.list_tools()
        return [await client.call_tool("list_posts", {}) for _ in range(4)]

    results = run(key, steps, base=LIMITED_URL)
    for result in results[:3]:
        ok(result)
    refused = error(results[3])
    assert refused["code"] == "RATE_LIMITED"
    assert 1 <= refused["retryAfter"] <= 60
    assert refused["message"] == f"rate limit exceeded; retry in {refused['retryAfter']} seconds"
    status, answer = rest("GET", "/posts", key, base=LIMITED_URL)
    assert status == 429 and answer["error"]["code"] == "RATE_LIMITED"

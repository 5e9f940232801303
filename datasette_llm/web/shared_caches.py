"""What a shared cache in front of Datasette (nginx, Varnish, a CDN) may keep of the plugin's responses: nothing.
An ASGI wrapper over every route of the plugin sets it as each response leaves, Datasette's error pages included.

Every answer of the plugin is worked out for the request: for its actor, for the tables they may see now, and for
where it came from. An outside tester behind real nginx and Varnish (session 46) saw caches give one request's
answer to others: the Ask page that asks its question by itself, opened directly, to everyone who followed another
site's link (a model run each: session 14's finding again); a search's 403 for another site's fetch to ordinary
clients; a model server's 502 for a minute after it was back; the rows of a table made private for 10 minutes
after Datasette's own pages had stopped. Datasette 0.65.5 and 1.0a39+ make the answers to requests with a cookie,
a token or an actor `private, no-store`; the earlier 1.0 alphas do not, and there a cache kept one actor's search
hits and rows for the next. So every response of the plugin that does not say how it may be kept (the logo does)
is `no-store`, a failure before any response too (the server's own 500 was kept: a second tester), and names in
`Vary` the request headers its routes read (VARY), for caches told to ignore `Cache-Control`. It is the outermost
of the plugin's wrappers (web/routes.py asgi_layers), so the body limits' refusals pass through it.
"""

from __future__ import annotations

from .body_limits import plugin_route_paths

# Read by the routes (the Ask page's "ask now", search's and MCP's cross-site refusals) and by Datasette's error
# pages on 1.0 (HTML or JSON by Accept).
VARY = (b"Accept", b"Origin", b"Sec-Fetch-Site", b"Sec-Fetch-Dest")


def cache_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The response's headers with `Cache-Control: no-store` unless it has its own, and VARY in `Vary`."""
    vary = [part.strip() for name, value in headers if name.lower() == b"vary" for part in value.split(b",")]
    vary = [part for part in vary if part]
    present = {part.lower() for part in vary}
    vary += [name for name in VARY if name.lower() not in present]
    kept = [(name, value) for name, value in headers if name.lower() != b"vary"]
    if not any(name.lower() == b"cache-control" for name, _ in headers):
        kept.append((b"cache-control", b"no-store"))
    return [*kept, (b"vary", b", ".join(vary))]


def wrap(datasette):
    """The asgi_wrapper hook's wrapper for this Datasette instance."""
    paths_of = plugin_route_paths(datasette)

    def wrapper(app):
        async def with_cache_headers(scope, receive, send):
            if scope.get("type") != "http" or paths_of(scope) is None:
                return await app(scope, receive, send)

            started = False

            async def sending(message):
                nonlocal started
                if message.get("type") == "http.response.start":
                    started = True
                    message = {**message, "headers": cache_headers(list(message.get("headers") or []))}
                await send(message)

            try:
                return await app(scope, receive, sending)
            except Exception:
                # The server's own 500 would say nothing about caching: answered here, then raised for the log.
                if not started:
                    headers = cache_headers([(b"content-type", b"text/plain; charset=utf-8")])
                    await send({"type": "http.response.start", "status": 500, "headers": headers})
                    await send({"type": "http.response.body", "body": b"Internal Server Error"})
                raise

        return with_cache_headers

    return wrapper

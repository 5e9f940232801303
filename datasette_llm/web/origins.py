"""Where a request comes from, and where this server says it lives.

- `public_base_url`: the root URL the manifest and OpenAPI spec advertise. X-Forwarded-Host/-Proto are only
  read when the `trust_forwarded_headers` setting is on: otherwise any client could make the spec point
  assistants at another server.
- `require_model_request`: the rule for anything that starts a model run (see SECURITY.md, "Cross-site
  requests"): POST only; a JSON body (a page on another site cannot send one without a CORS preflight,
  which Datasette never grants for it) or a form that went through Datasette's CSRF token check; and no
  browser request marked as coming from another site.
- `require_same_site_body`: the same rule for the body of any POST that changes what the plugin keeps
  (trusted examples, feedback).
- `refuse_cross_site_fetch`: GET APIs that embed the query (semantic search) may be linked to, but another
  site's page may not fetch or frame them (nor make the Ask page warm the model up).
- `require_allowed_origin`: the Origin check of the agent APIs (MCP, query API) against DNS rebinding;
  `require_not_rebound` the same for the query API's GET, which carries no Origin.
"""

from __future__ import annotations

from ..agents.rebinding import HOST, origin_allowed, rebound_name, split_origin
from ..compat import DATASETTE_1
from ..config import settings_for
from ..errors import Forbidden, MethodNotAllowed, UnsupportedMediaType
from .request_body import FORM, JSON, content_type

# The absolute URLs are built from the Host header (a cache must not share them), and from the scheme uvicorn takes
# from X-Forwarded-Proto when the proxy is on 127.0.0.1, whatever trust_forwarded_headers says (an outside tester
# behind nginx and Varnish, session 46: an https:// manifest was served to http:// requests and back).
HOST_VARY = {"Vary": "Host, X-Forwarded-Proto"}
FORWARDED_VARY = {"Vary": "Host, X-Forwarded-Host, X-Forwarded-Proto"}
CSRF_COOKIE = "ds_csrftoken"
CROSS_SITE = "Requests from another site may not start a model run."


def _forwarded(request, name: str) -> str:
    return (request.headers.get(name) or "").split(",")[0].strip()


def public_host(datasette, request) -> str:
    """host[:port] of this server as the client sees it; X-Forwarded-Host only when trusted."""
    if settings_for(datasette).trust_forwarded_headers:
        forwarded = _forwarded(request, "x-forwarded-host")
        if HOST.match(forwarded):
            return forwarded
    return request.host if HOST.match(request.host or "") else "localhost"


def public_base_url(datasette, request) -> str:
    """The instance's public root ("https://host/base/"), honouring base_url and, when trusted, X-Forwarded-*."""
    scheme = request.scheme
    if settings_for(datasette).trust_forwarded_headers:
        proto = _forwarded(request, "x-forwarded-proto").lower()
        scheme = proto if proto in ("http", "https") else scheme
    if datasette.setting("force_https_urls"):
        scheme = "https"
    base = "/" + (datasette.setting("base_url") or "/").strip("/") + "/"
    return f"{scheme}://{public_host(datasette, request)}{base.replace('//', '/')}"


def vary_headers(datasette) -> dict:
    """Caches must key on Host, and on the forwarded headers only when they change the response."""
    return FORWARDED_VARY if settings_for(datasette).trust_forwarded_headers else HOST_VARY


def from_this_site(datasette, request) -> bool:
    """False when a browser says the request comes from a page on another site (Fetch Metadata or Origin)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")  # "none": typed, bookmarked, or not a web page
    origin = request.headers.get("origin")
    if not origin:
        return True  # not a browser (browsers send Origin on every cross-origin POST and fetch)
    parts = split_origin(origin)
    return parts is not None and bool(parts.netloc) and parts.netloc.lower() == public_host(datasette, request).lower()


def require_model_request(datasette, request) -> None:
    """Refuse any request that another site's page could make to start a model run (405, 415 or 403)."""
    if request.method != "POST":
        raise MethodNotAllowed(
            "Questions start a model run, so they must be sent with POST, as JSON: "
            'curl -X POST -H "Content-Type: application/json" '
            '-d \'{"question": "..."}\' ' + request.path,
            allow=("POST",),
        )
    require_same_site_body(
        datasette,
        request,
        unsupported='Send the question as application/json: {"question": "..."}.',
        cross_site=CROSS_SITE,
    )


def require_same_site_body(datasette, request, *, unsupported: str, cross_site: str) -> None:
    """A POST body that no page on another site could have sent (415 or 403): JSON, or a form that passed
    Datasette's cross-site check; and no browser saying it comes from another site."""
    kind = content_type(request.headers)
    if kind == FORM:
        bearer = (request.headers.get("authorization") or "").startswith("Bearer ")
        if DATASETTE_1:
            # Datasette 1.0 has no CSRF token: it refuses cross-site forms by their Sec-Fetch-Site / Origin
            # headers, and lets through requests with neither (as non-browser clients). A form, which any
            # page can send, must say where it comes from; from_this_site below checks what it says.
            if not bearer and not (request.headers.get("sec-fetch-site") or request.headers.get("origin")):
                raise Forbidden(
                    "A form must come from this site's page (browsers send Sec-Fetch-Site or Origin); "
                    "API clients send application/json."
                )
        elif CSRF_COOKIE not in request.cookies and not bearer:
            # Datasette 0.65: asgi-csrf checks the form's csrftoken only when the request carries cookies; a
            # cookie-less form from another site would skip it, so a form must come with the CSRF cookie.
            raise Forbidden(
                "A form must carry the page's CSRF token (csrftoken field and ds_csrftoken "
                "cookie); API clients send application/json."
            )
    elif kind != JSON:
        raise UnsupportedMediaType(unsupported)
    if not from_this_site(datasette, request):
        raise Forbidden(cross_site)


def require_cookie_form_from_this_site(request) -> None:
    """Datasette 1.0: a url-encoded form sent with cookies must say it comes from this site.

    On 0.65 asgi-csrf refuses such a form unless it carries the page's token. 1.0 has no token and lets a
    request with neither Sec-Fetch-Site nor Origin through as a non-browser client; a form with the
    browser's cookies but without either is refused here instead (403), so forms keep 0.65's protection.
    """
    if not DATASETTE_1 or content_type(request.headers) != FORM or not request.headers.get("cookie"):
        return
    if (request.headers.get("authorization") or "").startswith("Bearer "):
        return
    if not (request.headers.get("sec-fetch-site") or request.headers.get("origin")):
        raise Forbidden(
            "A form sent with cookies must come from this site's page (browsers send Sec-Fetch-Site or "
            "Origin); API clients send application/json."
        )


def is_cross_site_fetch(request) -> bool:
    """A browser says another site's page made this request as a fetch, frame or image (not a link)."""
    site = request.headers.get("sec-fetch-site")
    return site in ("cross-site", "same-site") and request.headers.get("sec-fetch-dest") != "document"


def opened_here(request) -> bool:
    """A browser says a person opened this page from this site, or directly (typed, bookmarked, from another
    app): not through a link, a pop-up or a frame of another site's page. Only then does the Ask page ask the
    question in its URL by itself: another site's link started a model run for whoever followed it (found by an
    outside attacker in session 14); from there the question is only filled in."""
    return request.headers.get("sec-fetch-site") in ("same-origin", "none")


def refuse_cross_site_fetch(request) -> None:
    """Links from anywhere are fine; fetches, frames and images from another site's page are not."""
    if is_cross_site_fetch(request):
        raise Forbidden("Pages on another site may not call this API.")


def require_allowed_origin(request) -> None:
    server = request.scope.get("server")
    if not origin_allowed(request.headers.get("origin"), request.host, server[0] if server else None):
        raise Forbidden("Requests from this Origin are not allowed.")


def require_not_rebound(request) -> None:
    """The agent APIs' GET: refused when it names a server on a local address by a host name (agents/rebinding.py)."""
    server = request.scope.get("server")
    if rebound_name(request.host, server[0] if server else None):
        raise Forbidden(
            "This server is on a local address and the request names it by a host name, as a page whose name was "
            "pointed at this server (DNS rebinding) would: send the query by POST with a JSON body, or name the "
            "server by localhost or its IP address."
        )


def browser_token(datasette, request) -> str | None:
    """An anonymous visitor's browser, by the CSRF cookie Datasette signed for it (0.65's asgi-csrf), else None.
    A value a client made up is no one's: Datasette 1.0a41 sets no such cookie, so any there was chosen by the
    client, and two clients choosing one value shared their kept replies (an outside tester, session 33)."""
    from itsdangerous import BadData

    value = request.cookies.get(CSRF_COOKIE)
    if not value:
        return None
    try:
        datasette.unsign(value, "csrftoken")
    except BadData:
        return None
    return value

"""Which pages may call the agent APIs (MCP, the query API): an Origin and a Host read against DNS rebinding.

MCP's transport (agents/mcp/transport.py) and web/origins.py both decide here, so the rule is in one place.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
HOST = re.compile(r"^(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")  # a Host header's form: name or IP, port


def _is_loopback_name(hostname: str) -> bool:
    if hostname.lower() in LOOPBACK_NAMES or hostname.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_local_address(address: str | None) -> bool:
    """Not a global address: where DNS rebinding is the only way a remote page could reach the server. Loopback,
    private and link-local addresses, and every other block IANA lists as not global (100.64.0.0/10 of carrier
    NAT and Tailscale, 198.18.0.0/15 ...), and what is no IP address at all: a Unix socket's path (`datasette
    --uds`), reached only through a proxy on the same machine (outside testers, session 49: a server on a
    100.64.x.y address or a socket ran a rebound page's tool calls)."""
    if not address:
        return True
    try:
        return not ipaddress.ip_address(address.strip("[]")).is_global
    except ValueError:
        return True


def origin_allowed(origin: str | None, host: str | None, server_address: str | None) -> bool:
    """Whether a browser page at `origin` may call the endpoint (non-browser clients send no Origin).

    Pages on localhost are allowed. A page on the server's own host is allowed only when the server is not
    on a global address: there, a foreign name pointing at it is what DNS rebinding looks like.
    """
    if not origin:
        return True
    parts = split_origin(origin)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if _is_loopback_name(parts.hostname):
        return True
    if parts.netloc.lower() != (host or "").lower():
        return False
    return not _is_local_address(server_address)


def rebound_name(host: str | None, server_address: str | None) -> bool:
    """Whether a request that carries no Origin (a GET) may come from a page on a rebound name: the server is on
    a local address and the request names it by a host name that is neither a loopback name nor an IP address.
    A browser sends neither Origin nor Sec-Fetch-* headers with a plain-HTTP page's GET of its own site, so the
    Host is all there is to tell (outside testers, session 49: a rebound page's GET of the query API ran SQL)."""
    if not _is_local_address(server_address):
        return False
    hostname = urlsplit(f"http://{host}").hostname if HOST.match(host or "") else None
    if hostname is None:
        return True  # no Host, or not one: no page of this server's own
    if _is_loopback_name(hostname):
        return False
    try:
        ipaddress.ip_address(hostname)  # a page at an IP address was served by whatever listens there: this server
    except ValueError:
        return True
    return False


def split_origin(origin: str):
    """An Origin header's parts (urlsplit), or None when it is not a URL (e.g. "http://[::1"): such an origin is
    never this site's."""
    try:
        parts = urlsplit(origin)
        parts.hostname  # noqa: B018 - parsed lazily: a bad IPv6 literal raises only here
    except ValueError:
        return None
    return parts

"""The ChatGPT plugin manifest (/.well-known/ai-plugin.json), every field overridable by `settings.manifest`."""

from __future__ import annotations

import re

from ..config import Settings
from ..sql.clipping import CLIP_MARKER

NAME_FOR_HUMAN_MAX = 20
NAME_FOR_MODEL_MAX = 50
DESCRIPTION_FOR_HUMAN_MAX = 100
DESCRIPTION_FOR_MODEL_MAX = 8000
DEFAULT_AUTH = {"type": "none"}

DESCRIPTION_FOR_MODEL = """\
Read-only access to the SQLite databases published by this Datasette instance.
1. Call getSchema first. Use only the databases, tables and columns it lists; never guess names. It also \
gives column types, foreign keys (for joins) and row counts.
2. Call runQuery with one SQLite SELECT (WITH ... SELECT is fine). Always add a LIMIT (20 is plenty to look \
at rows), select only the columns you need, and use count(*), sum(), avg() or GROUP BY instead of fetching \
rows to count or total them yourself.
3. Results are capped at {max_rows:,} rows and {max_chars:,} characters. When truncated is true, the note \
field says exactly what was cut: rows left out, or long cells clipped and marked {marker}. Never invent rows \
or values you were not shown. Tell the user the result was partial, then narrow the query (WHERE, fewer \
columns, an aggregate, LIMIT with OFFSET) instead of guessing.
4. A rejected query returns HTTP 400 with reason, identifier and suggestions (the nearest real names): fix \
the query and try again. Writes, PRAGMA and ATTACH are refused.
5. askQuestion answers a plain-English question with the server's own model and shows the SQL it ran; semanticSearch \
finds rows by meaning in tables that have embeddings. Prefer runQuery when you can write the SQL yourself."""


def description_for_model(settings: Settings) -> str:
    return DESCRIPTION_FOR_MODEL.format(
        max_rows=settings.query_max_rows, max_chars=settings.query_max_chars, marker=CLIP_MARKER
    )


def name_for_model(title: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", title).strip("_").lower()[:NAME_FOR_MODEL_MAX]
    return name or "datasette"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_manifest(
    base_url: str, settings: Settings, *, title: str | None = None, license_url: str | None = None
) -> dict:
    """The manifest for an instance whose public root is `base_url` (absolute, ending in "/").

    Keys in `settings.manifest` replace the defaults whole; `auth` defaults to {"type": "none"}.
    """
    overrides = dict(settings.manifest or {})
    title = title or "Datasette"
    auth = overrides.pop("auth", None) or DEFAULT_AUTH
    manifest = {
        "schema_version": "v1",
        "name_for_human": _clip(title, NAME_FOR_HUMAN_MAX),
        "name_for_model": name_for_model(title),
        "description_for_human": _clip(f"Query and search the data published in {title}.", DESCRIPTION_FOR_HUMAN_MAX),
        "description_for_model": description_for_model(settings),
        "auth": auth,
        "api": {
            "type": "openapi",
            "url": base_url + "-/llm/openapi.json",
            "is_user_authenticated": auth.get("type", "none") != "none",
        },
        "logo_url": base_url + "-/llm/logo.svg",
        "contact_email": "",
        "legal_info_url": license_url or base_url,
    }
    manifest.update(overrides)
    return manifest


def bearer_auth_configured(settings: Settings) -> bool:
    auth = (settings.manifest or {}).get("auth") or DEFAULT_AUTH
    return auth.get("type", "none") != "none"

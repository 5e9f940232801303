"""The plugin's own actions, llm-ask and llm-teach, and how Datasette 1.0 alphas are told of them."""

from __future__ import annotations

LLM_ASK = "llm-ask"
LLM_TEACH = "llm-teach"
# The plugin's actions and the allow-block setting of each (config.ALLOW_SETTINGS).
ALLOW_SETTING = {LLM_ASK: "allow_ask", LLM_TEACH: "allow_teach"}
STORE_QUERY = "store-query"  # Datasette 1.0 alphas' stored queries


def registered_actions() -> list:
    """llm-ask and llm-teach for Datasette 1.0a20+ (register_actions); 0.65 has no registry and calls no such
    hook."""
    from dataclasses import fields

    from datasette.permissions import Action
    from datasette.resources import DatabaseResource

    # Both only on a database the actor may view: /-/allowed.json?action=llm-ask listed a hidden database to
    # anyone when `allow_ask` was true (an outside tester, session 20), as Datasette's own actions on a database
    # say with also_requires (alphas before it have no such field).
    _needs_view = {"also_requires": "view-database"} if "also_requires" in {f.name for f in fields(Action)} else {}

    return [
        Action(
            name=LLM_ASK,
            abbr=None,
            resource_class=DatabaseResource,
            description="Ask questions of the tables you may view with datasette-llm",
            **_needs_view,
        ),
        Action(
            name=LLM_TEACH,
            abbr=None,
            resource_class=DatabaseResource,
            description="Add and remove datasette-llm's trusted examples and read the feedback on answers",
            **_needs_view,
        ),
    ]

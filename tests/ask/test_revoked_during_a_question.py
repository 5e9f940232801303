"""A table Datasette refuses while the model writes is not read: which tables an actor sees is decided before the
model writes (it may take minutes), and a table revoked meanwhile was still read, its rows shown and sent to the
model (an outside tester's permission plugin, session 44). Datasette's own verdict, from a permission plugin whose
policy changes while the question runs, is the oracle."""

import sqlite3

import pytest
from ask_helpers import ScriptedModel, sql_reply
from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm
from datasette_versions import DATASETTE_1
from examples_helpers import signed_in

from datasette_llm.ask.pipeline import ask
from datasette_llm.permissions import PermissionsChanged

SECRET = "launch-code-8d1f"
ALICE = {"id": "alice"}
REVOKED: set[str] = set()  # tables the policy refuses alice right now


class RevokingPolicy:
    """Alice may see every table but those in REVOKED, read afresh on every check."""

    __name__ = "revoking-policy"  # Datasette lists plugins by their module's name

    if DATASETTE_1:

        @hookimpl
        def permission_resources_sql(self, datasette, actor, action):
            from datasette.permissions import PermissionSQL

            if not actor or actor.get("id") != "alice":
                return None
            if action in REVOKED:  # an action on the database
                return PermissionSQL(sql="SELECT 'db' AS parent, NULL AS child, 0 AS allow, 'revoked' AS reason")
            tables = sorted(REVOKED - {"llm-ask", "execute-sql"})
            if action != "view-table" or not tables:
                return None
            selects = " UNION ALL ".join(
                f"SELECT 'db' AS parent, :t{i} AS child, 0 AS allow, 'revoked' AS reason" for i in range(len(tables))
            )
            return PermissionSQL(sql=selects, params={f"t{i}": t for i, t in enumerate(tables)})

    else:

        @hookimpl
        def permission_allowed(self, datasette, actor, action, resource):
            if action in REVOKED and actor and actor.get("id") == "alice":
                return False
            if (
                action == "view-table"
                and actor
                and actor.get("id") == "alice"
                and tuple(resource or ())[1:] in [(t,) for t in REVOKED]
            ):
                return False
            return None


class RevokesWhileWriting(ScriptedModel):
    """Revokes `table` the moment it is asked for its first reply, as an admin would while it writes."""

    def __init__(self, replies, table):
        super().__init__(replies)
        self.table = table

    def _complete(self, messages, options, cancel):
        REVOKED.add(self.table)
        return super()._complete(messages, options, cancel)


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "db.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table cats (id integer primary key, name text)")
        conn.execute("insert into cats values (1, 'Tom')")
        conn.execute("create table secret (id integer primary key, code text)")
        conn.execute("insert into secret values (1, ?)", [SECRET])
    conn.close()
    plugin = RevokingPolicy()
    pm.register(plugin, name="revoking-policy")
    REVOKED.clear()
    yield path
    pm.unregister(plugin)
    REVOKED.clear()


async def datasette_for(path):
    ds = Datasette([str(path)], metadata={"plugins": {"datasette-llm": {"warm_up": False}}})
    await ds.invoke_startup()
    return ds


async def datasette_shows(ds, actor, table) -> int:
    return (await ds.client.get(f"/db/{table}.json", cookies={"ds_actor": ds.sign({"a": actor}, "actor")})).status_code


@pytest.mark.asyncio
@pytest.mark.parametrize("read", ["the revoked table", "another table"])
async def test_a_question_stops_when_a_table_it_may_see_is_revoked_while_the_model_writes(policy, read):
    """Its prompt holds the revoked table's schema and example rows: neither its rows are read nor another prompt
    sent; asked again, the question is decided anew."""
    ds = await datasette_for(policy)
    alice = {"id": "alice"}
    assert await datasette_shows(ds, alice, "secret") == 200  # before: Datasette shows it to her
    sql = "select code from secret" if read == "the revoked table" else "select name from cats"
    model = RevokesWhileWriting([sql_reply(sql)] * 4 + ["An answer."] * 2, "secret")
    with pytest.raises(PermissionsChanged) as raised:
        await ask(ds, "db", "What is the launch code?", model=model, actor=alice)
    assert raised.value.status == 503 and "ask again" in raised.value.message
    assert await datasette_shows(ds, alice, "secret") == 403  # Datasette refuses it now
    assert len(model.calls) == 1  # no prompt after the revocation
    again = ScriptedModel([sql_reply("select name from cats"), "Tom."])
    result = await ask(ds, "db", "Name the cats", model=again, actor=alice)
    assert [list(row) for row in result.rows] == [["Tom"]]
    assert not any(SECRET in message["content"] for call in again.calls for message in call)


@pytest.mark.asyncio
@pytest.mark.parametrize("revoked", ["secret", "llm-ask", "execute-sql"])
async def test_over_http_the_asker_is_told_to_ask_again(policy, revoked):
    """Over HTTP, where Datasette 1.0 keeps each permission answer for the rest of the request: the kept answer
    said execute-sql (which asking follows) still held after it was revoked (an outside tester, session 44)."""
    import datasette_llm.web.ask

    ds = await datasette_for(policy)
    model = RevokesWhileWriting([sql_reply("select code from secret")] * 4 + ["An answer."] * 2, revoked)
    original = datasette_llm.web.ask.chat_model_for
    datasette_llm.web.ask.chat_model_for = lambda *args, **kwargs: model
    try:
        response = await ds.client.post(
            "/db/-/ask.json", json={"question": "The launch code?"}, **signed_in(ds, {"id": "alice"})
        )
    finally:
        datasette_llm.web.ask.chat_model_for = original
    assert response.status_code == 503 and response.json()["code"] == "permissions_changed", response.text
    assert SECRET not in response.text


class DropsWhileWriting(ScriptedModel):
    """Drops `table` (a view reads it) the moment it is asked for its first reply."""

    def __init__(self, replies, path, table):
        super().__init__(replies)
        self.path, self.table = path, table

    def _complete(self, messages, options, cancel):
        if not self.calls:
            with sqlite3.connect(self.path) as conn:
                conn.execute(f"drop table {self.table}")
            conn.close()
        return super()._complete(messages, options, cancel)


@pytest.mark.asyncio
async def test_a_table_dropped_under_a_view_is_a_schema_change_not_a_revocation(policy):
    """The view over it is still there, and no longer shown: Datasette still allows it, so the question goes on
    (it answered 503 permissions_changed: a tester's `drop_view_base`, session 44)."""
    with sqlite3.connect(policy) as conn:
        conn.execute("create table base (id integer primary key, x text)")
        conn.execute("create view over_base as select x from base")
    conn.close()
    ds = await datasette_for(policy)
    model = DropsWhileWriting([sql_reply("select name from cats"), "Tom."], policy, "base")
    result = await ask(ds, "db", "Name the cats", model=model, actor={"id": "alice"})
    assert [list(row) for row in result.rows] == [["Tom"]]


@pytest.fixture
def fake_embedder(monkeypatch):
    from search_helpers import use_fake_model

    yield from use_fake_model(monkeypatch)


@pytest.mark.asyncio
async def test_an_answer_from_text_reads_no_row_revoked_while_its_question_is_embedded(policy, fake_embedder):
    """Embedding the question may take a while (a model behind an API): the rows are chosen, then Datasette is
    asked again before any is read (a tester's `text_rev_before`, session 44)."""
    from datasette_llm.embeddings import embed_table

    with sqlite3.connect(policy) as conn:
        conn.execute("create table notes (id integer primary key, body text)")
        conn.execute("insert into notes values (1, ?)", [f"The launch code is {SECRET}."])
    conn.close()
    embed_table(str(policy), "notes", model=fake_embedder)
    embed = fake_embedder._embed

    def revoking_while_embedding(texts):
        if any(text.endswith("?") for text in texts):  # the question, not the rows
            REVOKED.add("notes")
        return embed(texts)

    fake_embedder._embed = revoking_while_embedding
    ds = await datasette_for(policy)
    model = ScriptedModel(["It says the code is there [1]."] * 2)
    with pytest.raises(PermissionsChanged):
        await ask(ds, "db", "What does the note say about the launch code?", model=model, actor=ALICE, mode="text")
    assert "notes" in REVOKED and not model.calls

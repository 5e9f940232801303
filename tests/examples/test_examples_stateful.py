"""The examples store driven as its users drive it, checked against a model of what it must hold.

Hypothesis generates sequences of what teachers, an admin and an asker do over HTTP (add an example, "This is
right", "This is wrong", remove either) and of what the command line does on the same state directory (add,
import, export then import again, remove), with questions and SQL drawn from a small pool so that the same pair
comes back from other authors, padded with spaces, with a trailing comment, or not valid at all. A plain Python
model says what each step must answer and what every listing must then show; nothing here guesses an attack.

The model's rules are the documented ones: a pair is one author's (the command line finds any author's); ids are
never given twice; a refused request stores nothing ("This is right" neither its feedback nor its example); an
entry reading a table hidden from a teacher is neither listed to them nor removable by them, unless they wrote it;
feedback whose SQL its sender could not run is listed to an admin only; export holds the active examples and
importing it again adds nothing.
"""

import asyncio
import json
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from datasette.app import Datasette
from examples_helpers import HIDE_SECRET, make_database, signed_in, teaching_metadata
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from datasette_llm.cli import llm

ADMIN, TEACHER, ASKER = {"id": "admin"}, {"id": "teacher"}, {"id": "asker"}
TEACHERS = (TEACHER, ADMIN)
QUESTIONS = ("How many cats are there?", "Which cats are older than three?", "List every cat by age", "What is it?")
VISIBLE_SQL = ("select count(*) from cats", "select name from cats where age > 3", "select name, age from cats")
HIDDEN_SQL = "select launch_code from secret"  # only the admin may see `secret`
BAD_SQL = ("delete from cats", "select * from nowhere", "select")
MAX_QUESTION = 2_000


def padded(text: str):
    return st.tuples(st.sampled_from(("", " ", "\n\t")), st.sampled_from(("", "  ", "\n"))).map(
        lambda ends: ends[0] + text + ends[1]
    )


# A question as sent: from the pool, padded; now and then one no store may keep.
questions = st.one_of(
    st.sampled_from(QUESTIONS).flatmap(padded),
    st.sampled_from(("", "   ", "How\x00many", "x" * (MAX_QUESTION + 1))),
)
# SQL as sent: (what is sent, what must be stored, which tables it reads; None: refused for everyone).
sql_sent = st.one_of(
    st.sampled_from(VISIBLE_SQL).flatmap(
        lambda sql: st.tuples(padded(sql), st.sampled_from(("", " -- a note", "\n-- a note\n"))).map(
            lambda parts: (parts[0] + parts[1], sql, "cats")
        )
    ),
    st.sampled_from(((HIDDEN_SQL, HIDDEN_SQL, "secret"), (" " + HIDDEN_SQL, HIDDEN_SQL, "secret"))),
    st.sampled_from(BAD_SQL).map(lambda sql: (sql, None, None)),
)
web_actors = st.sampled_from((TEACHER, ADMIN))


def clean_question(question: str) -> str | None:
    question = question.strip()
    if not question or "\x00" in question or len(question) > MAX_QUESTION:
        return None
    return question


def may_run(actor, reads: str | None) -> bool:
    """Whether the guard lets this actor (None: the command line, an anonymous visitor) run SQL reading `reads`."""
    return reads == "cats" or (reads == "secret" and actor == ADMIN)


class ExamplesUse(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="examples-use-"))
        self.db = str(make_database(self.dir / "db.db"))
        self.state_dir = self.dir / "state"
        self.hide = self.dir / "metadata.json"
        self.hide.write_text(json.dumps(HIDE_SECRET))
        metadata = teaching_metadata(state_dir=str(self.state_dir))
        self.ds = Datasette([self.db], metadata=metadata, secret="stateful-examples")
        self.loop = asyncio.new_event_loop()
        # The model: example id -> (question, sql, author, added_by, reads); feedback id -> (question, sql,
        # verdict, comment, actor, readable: whether its sender could run its SQL, reads).
        self.examples: dict[int, tuple] = {}
        self.feedback: dict[int, tuple] = {}
        self.last_example_id = 0
        self.last_feedback_id = 0

    def teardown(self):
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------------------------------

    def post(self, actor, path: str, body: dict):
        response = self.loop.run_until_complete(self.ds.client.post(path, json=body, **signed_in(self.ds, actor)))
        assert response.status_code < 500, response.text
        return response

    def cli(self, *args):
        result = CliRunner().invoke(
            llm, ["examples", *map(str, (*args, "--state-dir", self.state_dir, "-m", self.hide))]
        )
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        return result

    def find(self, question: str, sql: str, author: str | None) -> int | None:
        """The id of the example of this pair by `author` (None: the command line's lookup, any author's)."""
        ids = [
            i
            for i, (q, s, who, _, _) in sorted(self.examples.items())
            if (q, s) == (question, sql) and (author is None or who == author)
        ]
        return ids[0] if ids else None

    def store_example(self, question: str, sql: str, author: str, added_by: str, reads: str, *, cli=False):
        """(id, whether new) as the store must answer an add of this cleaned pair."""
        found = self.find(question, sql, author)
        if found is None and cli:
            found = self.find(question, sql, None)
        if found is not None:
            return found, False
        self.last_example_id += 1
        self.examples[self.last_example_id] = (question, sql, author, added_by, reads)
        return self.last_example_id, True

    def record_feedback(self, question, sql, verdict, comment, actor, readable, reads) -> int:
        self.last_feedback_id += 1
        self.feedback[self.last_feedback_id] = (question, sql, verdict, comment, actor["id"], readable, reads)
        return self.last_feedback_id

    # -- what people do over HTTP ----------------------------------------------------------------------------

    @rule(actor=web_actors, question=questions, sql=sql_sent)
    def add_on_the_web(self, actor, question, sql):
        sent, stored_sql, reads = sql
        response = self.post(actor, "/-/llm/db/examples", {"question": question, "sql": sent})
        cleaned = clean_question(question)
        if cleaned is None or stored_sql is None or not may_run(actor, reads):
            assert response.status_code == 400, response.text
            return
        example_id, new = self.store_example(cleaned, stored_sql, actor["id"], actor["id"], reads)
        assert response.status_code == (201 if new else 200), response.text
        body = response.json()
        assert body["status"] == ("added" if new else "present")
        assert (body["example"]["id"], body["example"]["question"], body["example"]["sql"]) == (
            example_id,
            cleaned,
            stored_sql,
        )

    @rule(actor=web_actors, question=questions, sql=sql_sent, comment=st.sampled_from((None, "", " good ")))
    def this_is_right(self, actor, question, sql, comment):
        sent, stored_sql, reads = sql
        body = {"question": question, "sql": sent, "verdict": "right", "comment": comment}
        response = self.post(actor, "/-/llm/db/feedback", body)
        cleaned = clean_question(question)
        if cleaned is None or stored_sql is None or not may_run(actor, reads):
            assert response.status_code == 400, response.text
            return
        assert response.status_code == 201, response.text
        feedback_id = self.record_feedback(
            cleaned, sent.strip(), "right", (comment or "").strip() or None, actor, True, reads
        )
        example_id, new = self.store_example(cleaned, stored_sql, actor["id"], actor["id"], reads)
        data = response.json()
        assert data["feedback"]["id"] == feedback_id
        assert (data["status"], data["example"]["id"]) == ("added" if new else "present", example_id)

    @rule(
        actor=st.sampled_from((ASKER, TEACHER, ADMIN)),
        question=questions,
        sql=st.one_of(st.none(), sql_sent),
        comment=st.sampled_from((None, "wrong year", "  ")),
    )
    def this_is_wrong(self, actor, question, sql, comment):
        body = {"question": question, "verdict": "wrong", "comment": comment}
        if sql is not None:
            body["sql"] = sql[0]
        response = self.post(actor, "/-/llm/db/feedback", body)
        cleaned = clean_question(question)
        if cleaned is None:
            assert response.status_code == 400, response.text
            return
        assert response.status_code == 201, response.text
        stored_sql = sql[0].strip() if sql is not None else None
        readable = sql is None or (sql[1] is not None and may_run(actor, sql[2]))
        reads = sql[2] if sql is not None else None
        feedback_id = self.record_feedback(
            cleaned, stored_sql, "wrong", (comment or "").strip() or None, actor, readable, reads
        )
        assert response.json()["feedback"]["id"] == feedback_id

    @rule(actor=st.sampled_from((ASKER, TEACHER, ADMIN)), question=st.sampled_from(QUESTIONS))
    def an_asker_may_not_mark_right_nor_add(self, actor, question):
        if actor in TEACHERS:
            return
        body = {"question": question, "sql": VISIBLE_SQL[0]}
        assert self.post(actor, "/-/llm/db/examples", body).status_code == 403
        assert self.post(actor, "/-/llm/db/feedback", {**body, "verdict": "right"}).status_code == 403

    @rule(actor=web_actors, pick=st.integers(min_value=0, max_value=40))
    def remove_an_example_on_the_web(self, actor, pick):
        example_id = (
            pick
            if pick > self.last_example_id or not self.examples
            else sorted(self.examples)[pick % len(self.examples)]
        )
        response = self.post(actor, f"/-/llm/db/examples/{example_id}/remove", {})
        if example_id in self.examples and self.example_shown(example_id, actor):
            assert response.status_code == 200, response.text
            assert response.json()["removed"]["id"] == example_id
            del self.examples[example_id]
        else:
            assert response.status_code == 404, response.text

    @rule(actor=web_actors, pick=st.integers(min_value=0, max_value=40))
    def remove_feedback_on_the_web(self, actor, pick):
        feedback_id = (
            pick
            if pick > self.last_feedback_id or not self.feedback
            else sorted(self.feedback)[pick % len(self.feedback)]
        )
        response = self.post(actor, f"/-/llm/db/feedback/{feedback_id}/remove", {})
        if feedback_id in self.feedback and self.feedback_shown(feedback_id, actor):
            assert response.status_code == 200, response.text
            del self.feedback[feedback_id]
        else:
            assert response.status_code == 404, response.text

    # -- what the command line does on the same state directory --------------------------------------------

    @rule(question=questions, sql=sql_sent)
    def add_on_the_command_line(self, question, sql):
        sent, stored_sql, reads = sql
        result = self.cli("add", self.db, question, sent)
        cleaned = clean_question(question)
        present = None if cleaned is None or stored_sql is None else self.find(cleaned, stored_sql, None)
        if cleaned is None or stored_sql is None or (not may_run(None, reads) and present is None):
            assert result.exit_code == 1 and result.stderr.startswith("Error: "), result.output
            return
        if not may_run(None, reads):  # refused to the command line, but stored already: told so (session 56)
            assert result.exit_code == 0 and result.stdout == f"Already present: example #{present}.\n", result.output
            return
        example_id, new = self.store_example(cleaned, stored_sql, "cli", "cli", reads, cli=True)
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{'Added' if new else 'Already present:'} example #{example_id}.\n"

    @rule(pairs=st.lists(st.tuples(st.sampled_from(QUESTIONS), sql_sent), max_size=4))
    def import_a_file(self, pairs):
        path = self.dir / "import.json"
        path.write_text(json.dumps([{"question": q, "sql": sql[0]} for q, sql in pairs]))
        result = self.cli("import", self.db, path)
        expected, refused = [], 0  # one line an example stored (refused ones are told on stderr), then the counts
        for question, (_, stored_sql, reads) in pairs:
            if stored_sql is None:
                refused += 1
                continue
            if not may_run(None, reads):
                # a pair the command line may not add, stored already (an admin's over `secret`): present
                found = self.find(question, stored_sql, None)
                if found is None:
                    refused += 1
                else:
                    expected.append(["present", f"#{found}"])
                continue
            example_id, new = self.store_example(question, stored_sql, "cli", "import:import.json", reads, cli=True)
            expected.append(["added" if new else "present", f"#{example_id}"])
        lines = result.stdout.splitlines()
        assert [line.split()[:2] for line in lines[:-1]] == expected, result.output
        added = sum(status == "added" for status, _ in expected)
        assert lines[-1] == (
            f"import.json: {added} added, {len(expected) - added} already present, {refused} refused."
        ), result.output
        assert result.stderr.count("refused  item") == refused, result.output
        assert result.exit_code == (1 if refused else 0), result.output

    @rule()
    def export_and_import_again(self):
        path = self.dir / "export.json"
        exported = self.cli("export", self.db, "-o", path)
        assert exported.exit_code == 0, exported.output
        expected = [{"question": q, "sql": s} for _, (q, s, *_) in sorted(self.examples.items())]
        assert json.loads(path.read_text()) == expected
        again = self.cli("import", self.db, path)
        # Every example exported is there already, the admin's over `secret` too (the command line checks SQL as an
        # anonymous visitor would, and is told they are stored: session 56)
        assert again.stdout.splitlines()[-1] == f"export.json: 0 added, {len(expected)} already present, 0 refused."
        assert again.exit_code == 0

    @precondition(lambda self: self.examples)
    @rule(pick=st.integers(min_value=0, max_value=40))
    def remove_on_the_command_line(self, pick):
        example_id = sorted(self.examples)[pick % len(self.examples)] if pick < 30 else self.last_example_id + pick
        result = self.cli("remove", self.db, example_id)
        if example_id in self.examples:
            assert result.stdout == f"Removed example #{example_id}.\n", result.output
            del self.examples[example_id]
        else:
            assert result.exit_code == 1 and f"has no example #{example_id}" in result.stderr

    # -- what each teacher must be shown -------------------------------------------------------------------------

    def example_shown(self, example_id: int, viewer) -> bool:
        _, _, author, _, reads = self.examples[example_id]
        return viewer == ADMIN or author == viewer["id"] or reads == "cats"

    def feedback_shown(self, feedback_id: int, viewer) -> bool:
        *_, readable, reads = self.feedback[feedback_id]
        return viewer == ADMIN or (readable and reads in (None, "cats"))

    @invariant()
    def listings_match_the_model(self):
        for viewer in TEACHERS:
            data, before, feedback = {}, "", []
            while before is not None:
                query = f"?feedback_before={before}" if before else ""
                response = self.loop.run_until_complete(
                    self.ds.client.get(f"/-/llm/db/examples.json{query}", **signed_in(self.ds, viewer))
                )
                assert response.status_code == 200, response.text
                data = data or response.json()
                feedback += response.json()["feedback"]
                before = response.json()["feedback_before"]
            listed = [(e["id"], e["question"], e["sql"], e["added_by"], e["status"]) for e in data["examples"]]
            assert listed == [
                (i, q, s, added_by, "active")
                for i, (q, s, _, added_by, _) in sorted(self.examples.items())
                if self.example_shown(i, viewer)
            ], viewer
            shown = [(f["id"], f["question"], f["sql"], f["verdict"], f["comment"], f["actor"]) for f in feedback]
            assert shown == [
                (i, *entry[:5])
                for i, entry in sorted(self.feedback.items(), reverse=True)
                if self.feedback_shown(i, viewer)
            ], viewer


ExamplesUse.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
test_examples_as_people_use_them = ExamplesUse.TestCase

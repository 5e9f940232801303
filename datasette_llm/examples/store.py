"""The examples store: trusted (question, SQL) pairs, feedback on answers (feedback.py), and the vectors of
example questions, in `examples.db` in the state directory, keyed by database name.

Plain sqlite3, synchronous (async callers wrap calls in asyncio.to_thread), one short-lived connection a
call, so threads and processes (the server and the CLI) can share the file; WAL lets readers go on while one
writes. The file is created by the first write: a server whose examples are never written never touches the
state directory, and one that cannot write there still answers questions. `PRAGMA application_id` marks
the file as ours, `PRAGMA user_version` holds the schema version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import StoreFull
from ..json_text import stored_text
from .feedback import _FEEDBACK_CHECKS, Feedback, FeedbackCheck, FeedbackStore
from .state import state_dir
from .store_file import (  # noqa: F401 - the store's errors and versions are imported from here too
    _EXAMPLE_READ,
    APPLICATION_ID,
    MAX_SQL_CHARS,
    NEXT_ID,
    SCHEMA_VERSION,
    STATUSES,
    VERDICTS,
    ExampleStoreBusy,
    ExampleStoreError,
    clean_text,
    utc_now,
)

STORE_FILE = "examples.db"
DEFAULT_MAX_QUESTION_CHARS = 2_000  # Settings.max_question_chars
# Any teacher may add examples, and each question reads them all (and embeds a question each once): the store
# refuses more than this many per database, or this many bytes of question and SQL (UTF-8), until some are removed.
# An outside tester's 1,000 examples of 2,000-character questions made every question time out (session 22).
MAX_EXAMPLES_PER_DATABASE = 5_000
MAX_EXAMPLE_BYTES_PER_DATABASE = 5_000_000

CLI_AUTHOR = "cli"


def actor_key(actor) -> str:
    """The author key of an actor (a Datasette actor dict, or None: anonymous): its id as JSON (`5` and `"5"` are
    two actors to Datasette), or for an actor without an id the whole actor (allow blocks may tell
    {"role": "admin"} from {"role": "teacher"}: an outside tester, session 23). Not the whole actor when it has an
    id: an actor whose name or role changed lost their own examples (the fourth tester, session 23); the same id
    with another role is the same person, and what they add again keeps every name it mentions."""
    if isinstance(actor, dict) and actor.get("id") is not None:
        return "id:" + _json(actor["id"])
    return "actor:" + _json(actor)


def _json(value) -> str:
    """JSON as SQLite's json_quote() writes it (the migration from version 2 computes keys so)."""
    return stored_text(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str))


def author_key(added_by: str | None, *, cli: bool = False) -> str:
    """The author key of an example added with only an `added_by` name (no actor): an actor of that id."""
    return CLI_AUTHOR if cli else actor_key(None if added_by is None else {"id": added_by})


@dataclass(frozen=True)
class Example:
    id: int
    database: str
    question: str
    sql: str
    added_by: str | None  # actor id, or "cli" / "import:<file name>"
    added_at: str  # ISO 8601 UTC, seconds
    schema_hash: str  # check.schema_hash() of the database when last checked
    status: str  # "active" | "set_aside"
    reason: str | None  # why set aside (the guard's message)
    reads: str | None = None  # check.reads_text(): the tables its SQL reads (NULL: stored before they were kept)
    names: str | None = None  # mentions.names_text(): table and column names its text mentions that its author sees
    author_key: str | None = None  # store.actor_key(): whose example it is ("cli", "id:<JSON>", "actor:<JSON>")

    def to_json(self) -> dict:
        data = asdict(self)
        del data["reads"], data["names"], data["author_key"]
        return data


class ExampleStore(FeedbackStore):
    """The examples, feedback and vectors in examples.db at `path` (the file itself: store_file.py)."""

    def __init__(self, path: Path, *, max_question_chars: int = DEFAULT_MAX_QUESTION_CHARS, busy_timeout: float = 10):
        self.max_question_chars = max_question_chars
        super().__init__(path, busy_timeout=busy_timeout)

    @classmethod
    def for_settings(cls, settings) -> ExampleStore:
        return cls(state_dir(settings) / STORE_FILE, max_question_chars=settings.max_question_chars)

    # ---- examples -------------------------------------------------------------------------------------

    def add(self, database: str, question: str, sql: str, **fields) -> Example:
        """Store a checked example (`fields` as get_or_add's); the same (database, question, SQL) again returns the
        one already stored."""
        return self.get_or_add(database, question, sql, **fields)[0]

    def get_or_add(
        self,
        database: str,
        question: str,
        sql: str,
        *,
        added_by: str | None,
        schema_hash: str,
        reads: str | None = None,
        names: str | None = None,
        cli: bool = False,
        author: str | None = None,
    ) -> tuple[Example, bool]:
        """(the example, whether it is new). An example is its author's (`author_key`): the same pair from another
        author is another example. The command line (`cli`), which may read the whole store anyway, finds any
        author's: importing an export finds what the store has. Adding a set-aside example again, after it passed
        the guard once more, makes it active again. Added again by its author, it keeps the names both times saw: a
        name its author sees no more (a restricted token, a permission taken away) was in the text all the same."""
        question, sql = self.clean_pair(question, sql)
        with self._connect(write=True) as conn:
            return self._get_or_add(conn, database, question, sql, added_by, schema_hash, reads, names, cli, author)

    def get_or_add_many(
        self, database: str, items: Sequence[dict], *, cli: bool = False
    ) -> tuple[list[tuple[Example, bool]], StoreFull | None]:
        """get_or_add for each of `items` (its keyword arguments, with "question" and "sql"), in one transaction:
        an import of 1,000 pairs took 2 ms a pair with a transaction each, 15 ms under load (session 48). Returns
        (the results, in order; the StoreFull that stopped them, or None): what came before a full store is stored."""
        results: list[tuple[Example, bool]] = []
        with self._connect(write=True) as conn:
            for item in items:
                question, sql = self.clean_pair(item["question"], item["sql"])
                try:
                    results.append(
                        self._get_or_add(
                            conn,
                            database,
                            question,
                            sql,
                            item["added_by"],
                            item["schema_hash"],
                            item.get("reads"),
                            item.get("names"),
                            cli,
                            item.get("author"),
                        )
                    )
                except StoreFull as full:  # before any row of its item was written: the rest are committed
                    return results, full
        return results, None

    def _get_or_add(self, conn, database, question, sql, added_by, schema_hash, reads, names, cli, author=None):
        author = author or author_key(added_by, cli=cli)
        pair = "database = ? and question = ? and sql = ?"
        found = conn.execute(
            f"select id from examples where {pair} and author_key = ?", (database, question, sql, author)
        ).fetchone()
        if found is None and cli:
            found = conn.execute(
                f"select id from examples where {pair} order by id limit 1", (database, question, sql)
            ).fetchone()
        if found is None:
            self._refuse_when_full(conn, database, question, sql)
            conn.execute(
                "insert into examples (id, database, question, sql, added_by, added_at, schema_hash, reads, names, "
                f"author_key) values ({NEXT_ID.format(table='examples')}, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (database, question, sql, added_by, utc_now(), schema_hash, reads, names, author),
            )
            (example_id,) = conn.execute(
                f"select id from examples where {pair} and author_key = ?", (database, question, sql, author)
            ).fetchone()
        else:
            (example_id,) = found
            kept, kept_author = conn.execute(
                "select names, author_key from examples where id = ?", (example_id,)
            ).fetchone()
            if kept_author == author and reads is not None and names is not None:
                if kept is not None:  # else stored before names were kept: these are the first
                    # Both times' names: an author who sees fewer now (a restricted token, a permission taken
                    # away) wrote the text when they saw more, so what it mentions then still counts.
                    names = json.dumps(sorted(set(json.loads(kept)) | set(json.loads(names))))
                conn.execute(
                    "update examples set reads = coalesce(reads, ?), names = ? where id = ?",
                    (reads, names, example_id),
                )
            conn.execute(
                "update examples set status = 'active', reason = null, schema_hash = ? "
                "where id = ? and status = 'set_aside'",
                (schema_hash, example_id),
            )
        row = conn.execute(f"select {_EXAMPLE_READ} from examples where id = ?", (example_id,)).fetchone()
        return Example(*row), found is None

    @staticmethod
    def _refuse_when_full(conn, database: str, question: str, sql: str) -> None:
        held, stored = conn.execute(
            "select count(*), coalesce(sum(length(cast(question as blob)) + length(cast(sql as blob))), 0) "
            "from examples where database = ?",
            (database,),
        ).fetchone()
        size = len(question.encode("utf-8")) + len(sql.encode("utf-8"))
        if held >= MAX_EXAMPLES_PER_DATABASE or stored + size > MAX_EXAMPLE_BYTES_PER_DATABASE:
            raise StoreFull(
                f"This database has as many trusted examples as it may ({MAX_EXAMPLES_PER_DATABASE:,} or "
                f"{MAX_EXAMPLE_BYTES_PER_DATABASE // 1_000_000} MB of questions and SQL); remove some on its examples "
                "page, or with `datasette llm examples remove`, before adding more."
            )

    def examples(self, database: str, *, include_set_aside: bool = False) -> list[Example]:
        """The database's examples, oldest first; only the active ones unless include_set_aside."""
        where = "" if include_set_aside else " and status = 'active'"
        rows = self._read(f"select {_EXAMPLE_READ} from examples where database = ?{where} order by id", database)
        return [Example(*row) for row in rows]

    def database_names(self) -> dict[str, int]:
        """{database name: how many examples} for every name the store holds examples of (the command line's
        note when a renamed file finds none under its new name)."""
        rows = self._read("select database, count(*) from examples group by database order by database")
        return {name: count for name, count in rows}

    def state(self, database: str, schema_hash: str) -> tuple[int, int, bool]:
        """(the store's generation, how many examples the database has, whether any was last checked against a
        schema other than `schema_hash`), in one read. Generation 0: nothing written yet (or by this release)."""
        if not self.path.exists():
            self._read("select 1")  # a state directory that is a file is reported as for any read
            return 0, 0, False
        with self._connect(write=False) as conn:
            if conn is None:
                return 0, 0, False
            has_generation = conn.execute("select 1 from sqlite_master where name = 'generation'").fetchone()
            generation = conn.execute("select n from generation").fetchone() if has_generation else None
            count, stale = conn.execute(
                "select count(*), coalesce(sum(schema_hash != ?), 0) from examples where database = ?",
                (schema_hash, database),
            ).fetchone()
        return (generation[0] if generation else 0), count, bool(stale)

    def get(self, database: str, example_id: int) -> Example | None:
        rows = self._read(f"select {_EXAMPLE_READ} from examples where database = ? and id = ?", database, example_id)
        return Example(*rows[0]) if rows else None

    def remove(self, database: str, example_id: int) -> bool:
        """Remove an example and its vectors; False when the database has no such example."""
        return self.delete_entry("examples", database, example_id)

    def set_checked(self, example_id: int, *, schema_hash: str, status: str, reason: str | None) -> None:
        """Record the outcome of checking an example against the schema with this hash."""
        self.set_checked_many([(example_id, status, reason)], schema_hash=schema_hash)

    def set_checked_many(self, outcomes: Sequence[tuple[int, str, str | None]], *, schema_hash: str) -> None:
        """Record (example id, status, reason) outcomes of checks against one schema in one transaction: a
        commit each took 11 ms of a re-check's 15 ms an example (measured, session 19)."""
        for _, status, _ in outcomes:
            if status not in STATUSES:
                raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        with self._connect(write=True) as conn:
            conn.executemany(
                "update examples set schema_hash = ?, status = ?, reason = ? where id = ?",
                [(schema_hash, status, reason if status == "set_aside" else None, i) for i, status, reason in outcomes],
            )

    def set_checks(self, entry: Example | Feedback, reads: str | None, names: str) -> None:
        """Keep what an example or feedback stored before schema version 2 reads and mentions (check.fill_checks)."""
        table = "examples" if isinstance(entry, Example) else "feedback"
        with self._connect(write=True) as conn:
            conn.execute(
                f"update {table} set reads = ?, names = ? where id = ? and names is null", (reads, names, entry.id)
            )

    def clean_pair(self, question, sql) -> tuple[str, str]:
        """The question and SQL stripped, or BadRequest saying why they cannot be stored."""
        return (
            clean_text(question, "question", self.max_question_chars),
            clean_text(sql, "SQL", MAX_SQL_CHARS),
        )

    def record_right(
        self,
        database: str,
        question: str,
        sql: str,
        *,
        comment: str | None,
        actor: str | None,
        reads: str | None,
        names: str | None,
        example: dict,
    ) -> tuple[Feedback, Example, bool]:
        """ "This is right": the feedback and the example (`example`: get_or_add's question, sql and keywords) in
        one transaction, so neither is stored when the other cannot be (a full examples store once answered 507
        and kept the feedback, which a retry stored twice: an outside tester, session 23)."""
        question, sql, verdict, comment = self.clean_feedback(question, sql, "right", comment)
        example = dict(example)
        shown_question, shown_sql = self.clean_pair(example.pop("question"), example.pop("sql"))
        with self._connect(write=True) as conn:
            feedback = self._record_feedback(conn, database, question, sql, verdict, comment, actor, reads, names)
            stored, created = self._get_or_add(
                conn,
                database,
                shown_question,
                shown_sql,
                example["added_by"],
                example["schema_hash"],
                example.get("reads"),
                example.get("names"),
                False,
                example.get("author"),
            )
        return feedback, stored, created

    def examples_and_feedback_checks(self, database: str) -> tuple[list[Example], list[FeedbackCheck]]:
        """Every example of the database (set aside too, oldest first) and its feedback_checks, read in one
        transaction: a "This is right" stores its feedback and its example at once, and read one after the other a
        listing showed the feedback without the example (an outside tester, session 44: 94 of 1,113 listings)."""
        if not self.path.exists():
            self._read("select 1")  # a state directory that is a file is reported as for any read
            return [], []
        with self._connect(write=False) as conn:
            if conn is None:
                return [], []
            conn.execute("begin")
            try:
                examples = conn.execute(
                    f"select {_EXAMPLE_READ} from examples where database = ? order by id", (database,)
                ).fetchall()
                checks = conn.execute(_FEEDBACK_CHECKS, (database,)).fetchall()
            finally:
                conn.execute("commit")
        return [Example(*row) for row in examples], [FeedbackCheck(*row) for row in checks]

    # ---- vectors of example questions, per embedding model ----------------------------------------------

    def vectors(self, database: str, model_key: str) -> dict[int, bytes]:
        """Example id -> the question's vector (little-endian float32 bytes) saved for this model."""
        rows = self._read(
            "select v.example_id, v.vector from example_vectors v join examples e on e.id = v.example_id "
            "where e.database = ? and v.model_key = ?",
            database,
            model_key,
        )
        return dict(rows)

    def save_vector(self, example_id: int, model_key: str, vector: bytes) -> None:
        """Save (or replace) a question's vector; nothing happens when the example has been removed meanwhile."""
        self.save_vectors([(example_id, vector)], model_key)

    def save_vectors(self, vectors: Sequence[tuple], model_key: str) -> None:
        """save_vector for many (example id, vector) or (example id, vector, question) items, in one transaction.
        With a question, the vector is saved only while the example with that id asks that question: a store
        replaced while the vectors were made gives their ids to other examples."""
        rows = []
        for example_id, vector, *question in vectors:
            asked = question[0] if question else None
            rows.append((example_id, model_key, bytes(vector), example_id, asked, asked))
        with self._connect(write=True) as conn:
            conn.executemany(
                "insert or replace into example_vectors (example_id, model_key, vector) select ?, ?, ? "
                "where exists (select 1 from examples where id = ? and (? is null or question = ?))",
                rows,
            )

"""Feedback on answers, in examples.db beside the trusted examples: "This is right" or "This is wrong", with the
question, its SQL and a comment. Anyone who may ask may send it, so the store takes a bounded amount per database;
what a reader is shown of it is decided by check.shown_to, from what each piece reads and mentions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from ..errors import BadRequest, StoreFull
from .store_file import MAX_SQL_CHARS, NEXT_ID, VERDICTS, StoreFile, clean_text, utc_now

MAX_COMMENT_CHARS = 2_000
# Anyone who may ask a database may record feedback on it, so the store refuses more than this many entries
# per database (up to about 24 KB each) until someone with llm-teach removes some: a loop of POSTs cannot fill
# the disk, and nothing already recorded is dropped to make room.
MAX_FEEDBACK_PER_DATABASE = 10_000
# ... and more than this many bytes (UTF-8) of question, SQL and comment in all: 10,000 entries of the longest
# kind were 240 MB, and an outside tester's teacher page over them took +2.4 GB and 13 s (session 16); counted in
# characters, 4-byte emoji made the budget 20 MB (a second tester, the same session).
MAX_FEEDBACK_BYTES_PER_DATABASE = 5_000_000

_FEEDBACK_COLUMNS = "id, database, question, sql, verdict, comment, actor, created_at, reads, names"


_FEEDBACK_CHECKS = (  # store.feedback_checks(): newest first
    "select id, case when sql is null then null else '' end, reads, names from feedback "
    "where database = ? order by id desc"
)


@dataclass(frozen=True)
class Feedback:
    id: int
    database: str
    question: str
    sql: str | None
    verdict: str  # "right" | "wrong"
    comment: str | None
    actor: str | None
    created_at: str
    reads: str | None = None  # check.reads_text() for the actor who sent it ("": the guard refused the SQL)
    names: str | None = None  # mentions.names_text(): names its question, SQL and comment mention that its author sees

    def to_json(self) -> dict:
        data = asdict(self)
        del data["reads"], data["names"]
        return data


@dataclass(frozen=True)
class FeedbackCheck:
    """A piece of feedback without its text: enough for check.shown_to (`sql` is "" when it has SQL)."""

    id: int
    sql: str | None
    reads: str | None
    names: str | None


class FeedbackStore(StoreFile):
    """The feedback of examples.db (the examples: store.ExampleStore, which is one)."""

    max_question_chars: int

    def record_feedback(
        self,
        database: str,
        question: str,
        sql: str | None,
        verdict: str,
        *,
        comment: str | None,
        actor: str | None,
        reads: str | None = None,
        names: str | None = None,
    ) -> Feedback:
        question, sql, verdict, comment = self.clean_feedback(question, sql, verdict, comment)
        with self._connect(write=True) as conn:
            return self._record_feedback(conn, database, question, sql, verdict, comment, actor, reads, names)

    def _record_feedback(self, conn, database, question, sql, verdict, comment, actor, reads, names) -> Feedback:
        held, stored = conn.execute(
            "select count(*), coalesce(sum(length(cast(question as blob)) + coalesce(length(cast(sql as blob)), "
            "0) + coalesce(length(cast(comment as blob)), 0)), 0) from feedback where database = ?",
            (database,),
        ).fetchone()
        size = sum(len(text.encode("utf-8")) for text in (question, sql or "", comment or ""))
        if held >= MAX_FEEDBACK_PER_DATABASE or stored + size > MAX_FEEDBACK_BYTES_PER_DATABASE:
            # Not how many entries or bytes: the asker may not be shown most of them.
            raise StoreFull(
                "This database's feedback store is full; someone with the llm-teach permission can remove "
                "some on its examples page."
            )
        cursor = conn.execute(
            "insert into feedback (id, database, question, sql, verdict, comment, actor, created_at, reads, names) "
            f"values ({NEXT_ID.format(table='feedback')}, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                database,
                question,
                sql,
                verdict,
                comment,
                actor,
                utc_now(),
                reads if sql is not None else None,
                names,
            ),
        )
        row = conn.execute(f"select {_FEEDBACK_COLUMNS} from feedback where id = ?", (cursor.lastrowid,)).fetchone()
        return Feedback(*row)

    def clean_feedback(self, question, sql, verdict, comment) -> tuple[str, str | None, str, str | None]:
        """Feedback's fields stripped, or BadRequest saying why they cannot be stored (checked before a "right"
        verdict adds its example, so that a refused request writes nothing)."""
        if verdict not in VERDICTS:
            raise BadRequest(f"The verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}.")
        question = clean_text(question, "question", self.max_question_chars)
        sql = clean_text(sql, "SQL", MAX_SQL_CHARS) if sql is not None and str(sql).strip() else None
        comment = clean_text(comment, "comment", MAX_COMMENT_CHARS) if comment and str(comment).strip() else None
        return question, sql, verdict, comment

    def feedback(self, database: str) -> list[Feedback]:
        """The database's feedback, oldest first."""
        rows = self._read(f"select {_FEEDBACK_COLUMNS} from feedback where database = ? order by id", database)
        return [Feedback(*row) for row in rows]

    def feedback_checks(self, database: str) -> list[FeedbackCheck]:
        """What decides who is shown each piece of the database's feedback, without its text: newest first."""
        return [FeedbackCheck(*row) for row in self._read(_FEEDBACK_CHECKS, database)]

    def feedback_by_ids(self, database: str, ids: Sequence[int]) -> list[Feedback]:
        """The feedback with these ids, in their order (ids that are not there are left out)."""
        found = {}
        for start in range(0, len(ids), 500):  # SQLite's limit on variables in one statement
            chunk = list(ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            rows = self._read(
                f"select {_FEEDBACK_COLUMNS} from feedback where database = ? and id in ({marks})", database, *chunk
            )
            found.update((row[0], Feedback(*row)) for row in rows)
        return [found[i] for i in ids if i in found]

    def get_feedback(self, database: str, feedback_id: int) -> Feedback | None:
        rows = self._read(
            f"select {_FEEDBACK_COLUMNS} from feedback where database = ? and id = ?", database, feedback_id
        )
        return Feedback(*rows[0]) if rows else None

    def remove_feedback(self, database: str, feedback_id: int) -> bool:
        return self.delete_entry("feedback", database, feedback_id)

"""examples.db on disk: its tables and schema versions, the checks that a file is one of ours, the updates of
earlier versions' files, and one short-lived connection a call (StoreFile._connect), with what each SQLite failure
means for the store. What is kept in it, and how it is read and written, is store.py's (ExampleStore).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from ..errors import BadRequest, Busy, ConfigError, DatasetteLLMError, StoreFull
from .state import make_state_dir, state_dir_error

SCHEMA_VERSION = 3  # 2: the `reads` and `names` columns; 3: an example is one author's (_MIGRATE_FROM_2)
APPLICATION_ID = 0x646C6C65  # "dlle": datasette-llm examples
STATUSES = ("active", "set_aside")
VERDICTS = ("right", "wrong")

# The highest id removed from each table: ids are never given twice, so a Remove clicked on a page opened before
# another teacher removed that entry cannot remove a newer one that got its id (an outside tester, session 19).
# Created by any writer of a version 2 store too (the table is new in this release; older releases ignore it).
_HIGH_WATER = "CREATE TABLE IF NOT EXISTS id_high_water (tbl TEXT PRIMARY KEY, high INTEGER NOT NULL)"

# An example is one author's: the same question and SQL from another author is another example, with its own
# names, id and time. When it was one example, a teacher adding the pair of an admin's example that mentions a
# table hidden from them got "present" with the admin's id, name and time, and the names both could see, so
# the admin's example reached askers who may not see what it mentions (an outside tester, session 22). The
# author is `author_key` (actor_key()): the command line is "cli", an actor its id as JSON, or without an id the
# whole actor; no actor's key spells "cli".
_BY_AUTHOR = "CREATE UNIQUE INDEX IF NOT EXISTS examples_by_author ON examples (database, question, sql, author_key)"

_SCHEMA_EXAMPLES = f"""CREATE TABLE IF NOT EXISTS examples (
        id INTEGER PRIMARY KEY,
        database TEXT NOT NULL,
        question TEXT NOT NULL,
        sql TEXT NOT NULL,
        added_by TEXT,
        added_at TEXT NOT NULL,
        schema_hash TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN {STATUSES}),
        reason TEXT,
        reads TEXT,
        names TEXT,
        author_key TEXT NOT NULL
    )"""
# Every write to the store changes its count: a server keeps what a question read of the store while the count is
# the same (ask/few_shot_pool.py), instead of reading every example again for every question.
_GENERATION = "CREATE TABLE IF NOT EXISTS generation (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)"
# Every write sets the count to a new random number (not one more: a restored backup written to as often as the
# live file since would read as it; a new file at the same path too): an outside tester deleted examples.db and
# imported again up to the same count, and the server went on showing the removed examples (session 23).
_NEXT_GENERATION = (
    "INSERT INTO generation (id, n) VALUES (1, (random() & 0x3fffffffffffffff) + 1) "
    "ON CONFLICT (id) DO UPDATE SET n = (random() & 0x3fffffffffffffff) + 1"
)
# Run inside the first writer's transaction (executescript would commit it), so one statement at a time.
_SCHEMA = (
    _SCHEMA_EXAMPLES,
    _BY_AUTHOR,
    f"""CREATE TABLE IF NOT EXISTS feedback (
        id INTEGER PRIMARY KEY,
        database TEXT NOT NULL,
        question TEXT NOT NULL,
        sql TEXT,
        verdict TEXT NOT NULL CHECK (verdict IN {VERDICTS}),
        comment TEXT,
        actor TEXT,
        created_at TEXT NOT NULL,
        reads TEXT,
        names TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS feedback_by_database ON feedback (database, id)",
    _HIGH_WATER,
    _GENERATION,
    """CREATE TABLE IF NOT EXISTS example_vectors (
        example_id INTEGER NOT NULL REFERENCES examples (id) ON DELETE CASCADE,
        model_key TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (example_id, model_key)
    )""",
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
# From schema version 1: the tables each example's and feedback's SQL reads, and the names its text mentions
# (NULL in rows written before).
_MIGRATE_FROM_1 = (
    "ALTER TABLE examples ADD COLUMN reads TEXT",
    "ALTER TABLE examples ADD COLUMN names TEXT",
    "ALTER TABLE feedback ADD COLUMN reads TEXT",
    "ALTER TABLE feedback ADD COLUMN names TEXT",
    "PRAGMA user_version = 2",
)
_EXAMPLE_COLUMNS = (
    "id, database, question, sql, added_by, added_at, schema_hash, status, reason, reads, names, author_key"
)
# The same, as the store reads them back: a question or SQL that another tool stored as a BLOB or a number is read as
# SQLite quotes it (`X'FFFE00'`), text like any other. As stored, one BLOB question made every question of its
# database a 500 and `export` fail on a TypeError (an outside tester, session 58).
_EXAMPLE_READ = _EXAMPLE_COLUMNS.replace(
    "question, sql,",
    "CASE WHEN typeof(question) = 'text' THEN question ELSE quote(question) END AS question, "
    "CASE WHEN typeof(sql) = 'text' THEN sql ELSE quote(sql) END AS sql,",
)
# The author of an example stored before version 3 (from `added_by`, all there was).
# An example without an author name is its own author: who added it is not known.
_AUTHOR_BEFORE_3 = (
    "CASE WHEN added_by = 'cli' OR substr(added_by, 1, 7) = 'import:' THEN 'cli' "
    "WHEN added_by IS NULL THEN 'unknown:' || id ELSE 'id:' || json_quote(added_by) END"
)
# A version 2 store read as it is: its examples as they read once migrated (a temporary view, in this connection
# only, that SQLite finds before the table of the same name).
_READ_2 = f"CREATE TEMP VIEW examples AS SELECT *, {_AUTHOR_BEFORE_3} AS author_key FROM main.examples"
# From schema version 2, in a writer's transaction: the examples table again without UNIQUE (database, question,
# sql), which SQLite cannot drop; the question vectors are kept (dropping the table deletes them: ON DELETE CASCADE).
_MIGRATE_FROM_2 = (
    _SCHEMA_EXAMPLES.replace("IF NOT EXISTS examples", "examples_3"),
    f"INSERT INTO examples_3 ({_EXAMPLE_COLUMNS}) SELECT {_EXAMPLE_COLUMNS.replace(', author_key', '')}, "
    f"{_AUTHOR_BEFORE_3} FROM examples",
    "CREATE TEMP TABLE vectors_2 AS SELECT * FROM example_vectors",
    "DROP TABLE examples",
    "ALTER TABLE examples_3 RENAME TO examples",
    "INSERT INTO example_vectors SELECT * FROM temp.vectors_2",
    "DROP TABLE temp.vectors_2",
    _BY_AUTHOR,
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)


class ExampleStoreError(DatasetteLLMError):
    """examples.db cannot be read: not a SQLite file, another program's database, or a newer schema."""

    status = 500
    code = "example_store_error"


class ExampleStoreBusy(Busy):
    """Another process holds examples.db's write lock for longer than a writer waits (10 s)."""

    code = "example_store_busy"


MAX_SQL_CHARS = 20_000  # of an example's or a piece of feedback's SQL

# The next id of a table: past every id it gave, removed ones too (store_file._HIGH_WATER).
NEXT_ID = (
    "(select max(coalesce((select max(id) from {table}), 0), "
    "coalesce((select high from id_high_water where tbl = '{table}'), 0)) + 1)"
)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def clean_text(value, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"The {what} must be text.")
    value = value.strip()
    if not value:
        raise BadRequest(f"The {what} is empty.")
    if len(value) > limit:
        raise BadRequest(f"The {what} is {len(value):,} characters long; the most is {limit:,}.")
    if "\x00" in value:  # as for questions asked (ask/question.py): it would reach other actors' prompts
        raise BadRequest(f"The {what} contains a NUL character.")
    return value


# What using the store may raise when it cannot be read or written (read-only media, a state directory nobody may
# write, a full disk, a lock held too long): readers that can do without a write catch these and go on (a full
# disk under the state directory once failed every question with a 507: an outside tester, session 36).
STORE_ERRORS = (ExampleStoreError, ConfigError, Busy, StoreFull, OSError, sqlite3.Error)


class StoreFile:
    """The file examples.db at `path`. Nothing is created until the first write; reads of a missing file find
    nothing."""

    def __init__(self, path: Path, *, busy_timeout: float = 10):
        self.path = Path(path)
        self.busy_timeout = busy_timeout  # seconds a writer waits for another process's write lock
        if self.path.exists():  # a foreign or damaged file is reported now, not on some later call
            with self._connect(write=False):
                pass

    def _read(self, sql: str, *params) -> list[tuple]:
        if not self.path.exists():
            if self.path.parent.exists() and not self.path.parent.is_dir():
                raise state_dir_error(self.path.parent, "it is not a directory")
            return []
        with self._connect(write=False) as conn:
            return conn.execute(sql, params).fetchall() if conn is not None else []

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection | None]:
        """A connection to a checked store, or None to read a file that has no tables yet. With write, the file
        is created if needed and the body runs in one transaction."""
        if write:
            make_state_dir(self.path.parent)
            self._create_private()
        spare = None  # the temporary copy a store that cannot be read in place is read from
        try:
            # Reading never creates the file (mode=rw), even if it was removed since it was looked for.
            target = self.path if write else self.path.absolute().as_uri() + "?mode=rw"
            conn = sqlite3.connect(target, timeout=self.busy_timeout, isolation_level=None, uri=not write)
        except sqlite3.Error as error:
            raise self._failure(error) from None
        try:
            try:
                state = self._open(conn, write=write)
            except (ExampleStoreError, StoreFull):
                if write or not (self._on_read_only_media() or self._no_space_left()):
                    raise
                # A WAL store in a directory nobody may write, or on a disk with no byte left: SQLite cannot make
                # the -shm file it needs to read, so the examples were not used at all, nor listed (an outside
                # tester, session 36). It is read from a copy where SQLite may write (session 58: read as a file
                # that cannot change, `immutable=1`, the examples still in its -wal were left out without a word,
                # and a store of schema 1 could not be read at all, as reading it migrates it).
                conn.close()
                conn, spare = self._copy_to_read()
                state = self._open(conn, write=False)
            try:
                yield None if state == "empty" else conn
                if write:
                    # A new count only for a write that changed a row (the connection is this write's own: its count
                    # started at 0): a `remove` of an example that is not there gave the store a new count (an
                    # outside tester, session 45). The commit stays whatever changed: a schema upgrade changes no row.
                    if conn.total_changes:
                        conn.execute(_NEXT_GENERATION)
                    conn.execute("commit")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("rollback")
                raise
            if write and state != "empty":  # outside the transaction, and only once the file is known to be ours
                self._use_wal(conn)
        except sqlite3.Error as error:
            raise self._failure(error) from None
        finally:
            conn.close()
            if spare is not None:
                spare.cleanup()

    def _copy_to_read(self) -> tuple[sqlite3.Connection, tempfile.TemporaryDirectory | None]:
        """A connection to a copy of the store and its -wal in a private temporary directory, and that directory;
        where no copy can be made (the temporary directory is on the full disk too), the store read in place as a
        file that cannot change, without what its -wal holds."""
        try:
            spare = tempfile.TemporaryDirectory(prefix="datasette-llm-store-")  # 0700: the copy is private
        except OSError:
            spare = None
        if spare is not None:
            try:
                copy = Path(spare.name) / self.path.name
                shutil.copyfile(self.path, copy)
                wal = self.path.with_name(self.path.name + "-wal")
                if wal.exists():
                    shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
                return sqlite3.connect(copy, isolation_level=None), spare
            except OSError:
                spare.cleanup()
        uri = self.path.absolute().as_uri() + "?mode=ro&immutable=1"
        return sqlite3.connect(uri, isolation_level=None, uri=True), None

    def _no_space_left(self) -> bool:
        """Whether the disk under the store has no byte left for this user."""
        try:
            return os.statvfs(self.path.parent).f_bavail == 0
        except OSError:
            return False

    def _on_read_only_media(self) -> bool:
        """Whether nobody may write the store's directory (a read-only mount, or permissions)."""
        try:
            return not os.access(self.path.parent, os.W_OK) or bool(os.statvfs(self.path.parent).f_flag & os.ST_RDONLY)
        except OSError:
            return False

    @staticmethod
    def _use_wal(conn: sqlite3.Connection) -> None:
        """WAL mode, set after the first write's commit. Another connection may hold the file then: the write is
        stored all the same, so that is no failure (it answered 503 "try again" for a stored example, and left the
        store in rollback-journal mode for good: an outside tester, session 36); the next write tries again."""
        try:
            if conn.execute("pragma journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("pragma journal_mode = wal")
        except sqlite3.OperationalError:
            pass

    def _create_private(self) -> None:
        """Create the file, if it is not there, readable by its owner only (SQLite gives its -wal and -shm files
        the same mode): it holds feedback and the SQL of hidden tables. In a state directory that existed
        already, it was 0644 (an outside tester, session 19)."""
        # A link to a file not yet there is made there, privately: O_EXCL refuses any link, and SQLite then made
        # the file with the umask's mode, 0644 (an outside tester, session 40).
        target = os.path.realpath(self.path) if self.path.is_symlink() and not self.path.exists() else self.path
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as error:
            raise ExampleStoreError(f"The examples store {self.path} could not be created: {error.strerror}.") from None

    def _open(self, conn: sqlite3.Connection, *, write: bool) -> str:
        """Check the file is our store: "ready", "empty" (no tables yet, reading) or "created" (its tables made
        now, writing). A write connection is left inside its transaction."""
        try:
            conn.execute("pragma foreign_keys = on")
            if write:
                conn.execute("begin immediate")  # before looking, so two first writers cannot both create
            application_id = conn.execute("pragma application_id").fetchone()[0]
            version = conn.execute("pragma user_version").fetchone()[0]
            if application_id == 0 and version == 0:
                if conn.execute("select count(*) from sqlite_master").fetchone()[0]:
                    raise self._unreadable("it holds another program's tables")
                if not write:
                    return "empty"
                for statement in _SCHEMA:
                    conn.execute(statement)
                return "created"
        except sqlite3.DatabaseError as error:
            raise self._failure(error) from None
        if application_id != APPLICATION_ID:
            raise self._unreadable("it belongs to another program")
        if version > SCHEMA_VERSION:
            # A healthy store of a newer release: never "not a store ... move it aside" (an outside tester, session 41)
            raise ExampleStoreError(
                f"The examples store {self.path} was written by a newer datasette-llm (schema version {version}; "
                f"this one reads up to {SCHEMA_VERSION}). Upgrade datasette-llm to use it, or set `state_dir` (or "
                "DATASETTE_LLM_STATE_DIR) to another directory."
            )
        if version == 1:
            self._migrate_from_1(conn, write=write)
        if write:
            if version < SCHEMA_VERSION:  # a version 2 store is read as it is, and changed by its first writer
                self._run(conn, _MIGRATE_FROM_2)
            conn.execute(_HIGH_WATER)
            conn.execute(_GENERATION)
        elif version < SCHEMA_VERSION:
            conn.execute(_READ_2)
        return "ready"

    def _migrate_from_1(self, conn: sqlite3.Connection, *, write: bool) -> None:
        """Add the `reads` and `names` columns, in the caller's write transaction or in one of its own."""
        try:
            if not write:
                conn.execute("begin immediate")
            if conn.execute("pragma user_version").fetchone()[0] == 1:  # not migrated meanwhile by another process
                for statement in _MIGRATE_FROM_1:
                    conn.execute(statement)
            if not write:
                conn.execute("commit")
        except sqlite3.Error as error:
            if not write and conn.in_transaction:
                conn.execute("rollback")
            raise ExampleStoreError(
                f"The examples store {self.path} is from an earlier datasette-llm and could not be updated: {error}."
            ) from None

    def _run(self, conn: sqlite3.Connection, statements: tuple[str, ...]) -> None:
        """Migrate in the caller's write transaction (it rolls back on failure)."""
        try:
            for statement in statements:
                conn.execute(statement)
        except sqlite3.Error as error:
            raise ExampleStoreError(
                f"The examples store {self.path} is from an earlier datasette-llm and could not be updated: {error}."
            ) from None

    def _failure(self, error: sqlite3.Error) -> DatasetteLLMError:
        """What SQLite's error means for the store. Only a file that is not one of ours, or damaged, is "not a
        datasette-llm examples store": a lock or a full disk once read so, and moving a healthy store aside on
        that advice looked like losing every example (an outside tester, session 19)."""
        text = str(error).lower()
        if "locked" in text or "busy" in text:
            return ExampleStoreBusy("The examples store is busy: another process is writing to it. Try again.")
        if "full" in text or ("disk i/o error" in text and self._no_space_left()):
            # With no byte left, SQLite cannot even make the -shm file and says "disk I/O error" (a 500 before:
            # an outside tester, session 36).
            return StoreFull(f"The examples store {self.path} could not be written: the disk is full.")
        if isinstance(error, sqlite3.OperationalError):  # read-only, I/O error, cannot open: the file is not at fault
            return ExampleStoreError(f"The examples store {self.path} could not be used: {error}.")
        return self._unreadable(error)

    def _unreadable(self, problem) -> ExampleStoreError:
        return ExampleStoreError(
            f"{self.path} is not a datasette-llm examples store ({problem}). Move it aside, or set `state_dir` "
            "(or DATASETTE_LLM_STATE_DIR) to another directory."
        )

    def delete_entry(self, table: str, database: str, row_id: int) -> bool:
        """Remove the entry of `table` with this id; False when the database has none. Its id is never given again."""
        if not self.path.exists():
            if self.path.parent.exists() and not self.path.parent.is_dir():  # named, as a listing names it
                raise state_dir_error(self.path.parent, "it is not a directory")
            return False
        with self._connect(write=True) as conn:
            if not conn.execute(f"delete from {table} where database = ? and id = ?", (database, row_id)).rowcount:
                return False
            conn.execute(
                "insert into id_high_water (tbl, high) values (?, ?) "
                "on conflict (tbl) do update set high = max(high, excluded.high)",
                (table, row_id),
            )
            return True

"""The DuckLake backend: the same warehouse with its catalog in PostgreSQL and its data as Parquet.

Why this module exists: embedded DuckDB admits one writing process, which caps the pipeline at one
writer. DuckLake keeps the catalog in a SQL database and every commit as a snapshot, so several
processes (Celery workers on several machines) can write at once under optimistic concurrency.

Three things differ from embedded DuckDB and are handled here:

* Extensions cannot be downloaded on these machines; they are loaded from the files shipped in the
  PyPI packages `duckdb-extension-ducklake` and `duckdb-extension-postgres-scanner`.
* DuckLake has no PRIMARY KEY, UNIQUE or CHECK constraints and no indexes: `translate_ddl` strips them
  from the migrations and returns the keys it removed, so the warehouse keeps key semantics itself.
* Delete-then-insert on a key is not enough under concurrency: DuckLake reports a conflict only when a
  transaction really deleted rows, so two writers inserting the same new key both commit. Each keyed
  table therefore has a one-row *guard* table; every transaction that writes the table bumps the
  guard, and two such transactions conflict (DuckLake: "attempting to delete from table ... but another
  transaction has deleted from it"); the loser is retried on fresh data by the warehouse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import duckdb

from warehouse.sql import string_literal

ALIAS = "lake"
GUARD_SCHEMA = "lw_guards"
EXTENSION_PACKAGES = {
    "ducklake": "duckdb_extension_ducklake",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}


class UnportableDDL(ValueError):
    """A migration statement DuckLake cannot run and that has no faithful translation."""


# ------------------------------------------------------------------------------------------ extensions
def extension_file(name: str) -> Path:
    """The `.duckdb_extension` file shipped inside the PyPI package for extension `name`."""
    package = import_module(EXTENSION_PACKAGES[name])
    version = duckdb.__version__
    root = Path(package.__path__[0]) / "extensions"
    candidates = sorted(root.glob(f"v{version}/*.duckdb_extension")) or sorted(
        root.glob(f"*/{name}.duckdb_extension")
    )
    if not candidates:
        raise FileNotFoundError(
            f"no {name}.duckdb_extension for duckdb {version} under {root}; "
            f"install {EXTENSION_PACKAGES[name].replace('_', '-')}=={version}"
        )
    return candidates[0]


def attach_statements(
    catalog: str, data_path: Path | str | None = None, *, read_only: bool = False, alias: str = ALIAS
) -> list[str]:
    """The SQL that loads the extensions and attaches the lake: what `attach` runs, and what an analyst
    pastes into a DuckDB 1.5.5 shell (docs/deployment.md).

    LOAD by path rather than INSTALL + LOAD: INSTALL copies the file into ~/.duckdb, which several
    workers starting at once would race on, and which may not be writable for a service user.
    DATA_PATH is needed only when the lake is created: an existing catalog remembers its path.
    """
    statements = [f"LOAD {string_literal(str(extension_file(name)))}" for name in EXTENSION_PACKAGES]
    options = []
    if data_path is not None:
        path = str(data_path)
        options.append(f"DATA_PATH {string_literal(path if path.endswith('/') else path + '/')}")
    if read_only:
        options.append("READ_ONLY")
    suffix = f" ({', '.join(options)})" if options else ""
    statements += [f"ATTACH {string_literal(f'ducklake:{catalog}')} AS {alias}{suffix}", f"USE {alias}"]
    return statements


def attach(
    con: duckdb.DuckDBPyConnection,
    catalog: str,
    data_path: Path | str | None = None,
    *,
    read_only: bool = False,
    alias: str = ALIAS,
) -> None:
    """ATTACH the DuckLake `catalog` (e.g. "postgres:dbname=laborwatch host=127.0.0.1") and USE it."""
    for statement in attach_statements(catalog, data_path, read_only=read_only, alias=alias):
        con.execute(statement)


def open_read_only(catalog: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the live lake, for analysts (it never blocks the writers)."""
    con = duckdb.connect()
    attach(con, catalog, read_only=True)
    return con


def is_conflict(exc: BaseException) -> bool:
    """Is `exc` DuckLake refusing a commit because another transaction got there first?"""
    if not isinstance(exc, duckdb.Error):
        return False
    message = str(exc)
    return (
        "Transaction conflict" in message
        or "ducklake_max_retry_count" in message
        or "write-write conflict" in message
        or ("Failed to commit DuckLake transaction" in message and "conflict" in message.lower())
    )


def is_configuration_error(exc: BaseException) -> bool:
    """An ATTACH failure that retrying cannot fix: a missing database or role, a moved data path."""
    message = str(exc)
    return any(
        text in message
        for text in (
            "does not match existing data path",
            "does not exist",
            "password authentication failed",
            "Connection refused",
            "could not translate host name",
        )
    )


# ---------------------------------------------------------------------------------------- SQL parsing
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|;|[^'\";\-/]+|.", re.S)


def split_statements(sql: str) -> list[str]:
    """The statements of `sql`, comments removed, string literals and quoted names kept intact."""
    statements, current = [], []
    for token in _TOKEN.findall(sql):
        if token.startswith("--") or token.startswith("/*"):
            current.append(" ")
        elif token == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(token)
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


def normalize_table(name: str) -> str:
    """`"Raw".Payloads` → `raw.payloads`; unqualified names live in `main`; a catalog prefix is dropped."""
    parts = [p.strip('"').lower() for p in re.findall(r'"(?:[^"]|"")*"|[^.\s]+', name)]
    if len(parts) == 3:
        parts = parts[1:]
    if len(parts) == 1:
        parts = ["main", *parts]
    return ".".join(parts)


def guard_table(table: str) -> str:
    """The guard of keyed table `table` (`raw.payloads` → `lw_guards.raw__payloads`)."""
    return f"{GUARD_SCHEMA}.{normalize_table(table).replace('.', '__')}"


_NAME = r'((?:"(?:[^"]|"")*"|[\w$]+)(?:\.(?:"(?:[^"]|"")*"|[\w$]+)){0,2})'
_WRITE = re.compile(
    r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|DELETE\s+FROM|UPDATE|MERGE\s+INTO|TRUNCATE(?:\s+TABLE)?"
    rf"|COPY)\s+{_NAME}",
    re.I,
)


def written_tables(sql: str) -> set[str]:
    """The tables the statements of `sql` write to (normalized names)."""
    tables = set()
    for statement in split_statements(sql):
        match = _WRITE.match(statement)
        if match and not re.match(r"(?i)^\s*COPY\s+\S+\s+TO\b", statement):
            tables.add(normalize_table(match.group(1)))
    return tables


@dataclass
class TranslatedMigration:
    """A migration as DuckLake runs it, and the keys its DDL declared (table → key columns)."""

    sql: str
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _mask_literals(text: str) -> tuple[str, list[str]]:
    """Replace string literals by placeholders so keyword regexes cannot match inside them."""
    literals: list[str] = []

    def keep(match: re.Match[str]) -> str:
        literals.append(match.group(0))
        return f"\x00{len(literals) - 1}\x00"

    return re.sub(r"'(?:[^']|'')*'", keep, text), literals


def _unmask(text: str, literals: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: literals[int(m.group(1))], text)


def _closing_paren(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise UnportableDDL(f"unbalanced parentheses in: {text[:80]}")


def _split_top_level(body: str) -> list[str]:
    items, depth, start = [], 0, 0
    for i, char in enumerate(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(body[start:i])
            start = i + 1
    items.append(body[start:])
    return [item.strip() for item in items if item.strip()]


def _columns(text: str) -> tuple[str, ...]:
    return tuple(c.strip().strip('"').lower() for c in text.split(","))


_PAREN_GROUP = r"\((?:[^()]|\([^()]*\))*\)"
_TABLE_CONSTRAINT = re.compile(r"(?is)^(?:CONSTRAINT\s+\S+\s+)?(PRIMARY\s+KEY|UNIQUE|CHECK|FOREIGN\s+KEY)\b")
_COLUMN_CLAUSES = re.compile(
    rf"(?is)\s+(?:CONSTRAINT\s+\S+\s+)?(?:PRIMARY\s+KEY|UNIQUE|CHECK\s*{_PAREN_GROUP}"
    rf"|REFERENCES\s+{_NAME}(?:\s*{_PAREN_GROUP})?)"
)
_CREATE_TABLE = re.compile(
    rf"(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\w*\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}\s*\("
)


def _translate_create_table(statement: str, keys: dict[str, tuple[str, ...]]) -> str:
    match = _CREATE_TABLE.match(statement)
    assert match is not None
    table = normalize_table(match.group(1))
    open_at = match.end() - 1
    close_at = _closing_paren(statement, open_at)
    columns: list[tuple[str, str]] = []
    primary: tuple[str, ...] = ()
    for item in _split_top_level(statement[open_at + 1 : close_at]):
        constraint = _TABLE_CONSTRAINT.match(item)
        if constraint:
            kind = constraint.group(1).upper()
            inner = re.search(r"\(([^()]*)\)", item)
            if inner and kind.startswith("PRIMARY"):
                primary = keys[table] = _columns(inner.group(1))
            elif inner and kind == "UNIQUE":
                keys.setdefault(table, _columns(inner.group(1)))
            continue
        column = item.split()[0].strip('"').lower()
        if re.search(r"(?i)\sPRIMARY\s+KEY\b", item):
            primary = keys[table] = (column,)
        elif re.search(r"(?i)\sUNIQUE\b", item):
            keys.setdefault(table, (column,))
        columns.append((column, _COLUMN_CLAUSES.sub("", item)))
    # A primary key implies NOT NULL in DuckDB; keep that part of it, since DuckLake can enforce it.
    kept = [
        f"{text} NOT NULL" if name in primary and not re.search(r"(?i)\bNOT\s+NULL\b", text) else text
        for name, text in columns
    ]
    return f"{statement[:open_at]}(\n    " + ",\n    ".join(kept) + f"\n){statement[close_at + 1 :]}"


def translate_ddl(sql: str) -> TranslatedMigration:
    """`sql` rewritten for DuckLake: key, unique and check constraints and indexes removed.

    The keys are returned, not lost: the warehouse guards writes to keyed tables and the tests check
    uniqueness on them. Sequences and user-defined types have no DuckLake equivalent and are refused
    with a clear error rather than silently changed.
    """
    keys: dict[str, tuple[str, ...]] = {}
    out = []
    for raw_statement in split_statements(sql):
        statement, literals = _mask_literals(raw_statement)
        head = " ".join(statement.split()[:4]).upper()
        if re.match(r"(?is)^CREATE\s+(UNIQUE\s+)?INDEX\b", statement):
            unique = re.match(rf"(?is)^CREATE\s+UNIQUE\s+INDEX\s+.*?\bON\s+{_NAME}\s*\(([^()]*)\)", statement)
            if unique:
                keys.setdefault(normalize_table(unique.group(1)), _columns(unique.group(2)))
            continue
        alter_key = re.match(
            rf"(?is)^ALTER\s+TABLE\s+{_NAME}\s+ADD\s+(?:CONSTRAINT\s+\S+\s+)?(PRIMARY\s+KEY|UNIQUE)\s*\(([^()]*)\)",
            statement,
        )
        if alter_key:
            keys[normalize_table(alter_key.group(1))] = _columns(alter_key.group(3))
            continue
        if re.match(r"(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\w*\s+)?SEQUENCE\b", statement) or re.match(
            r"(?is)^CREATE\s+TYPE\b", statement
        ):
            raise UnportableDDL(f"DuckLake has no sequences or user-defined types: {head} ...")
        if _CREATE_TABLE.match(statement):
            statement = _translate_create_table(statement, keys)
        out.append(_unmask(statement, literals))
    return TranslatedMigration(";\n".join(out) + (";\n" if out else ""), keys)


def declared_keys(sql: str) -> dict[str, tuple[str, ...]]:
    """The keys the DDL in `sql` declares, table → columns (as `translate_ddl` finds them)."""
    return translate_ddl(sql).keys


def guard_ddl(table: str) -> str:
    """Create the guard of `table` with its single row (idempotent)."""
    guard = guard_table(table)
    return (
        f"CREATE SCHEMA IF NOT EXISTS {GUARD_SCHEMA};\n"
        f"CREATE TABLE IF NOT EXISTS {guard} (writes BIGINT NOT NULL);\n"
        f"INSERT INTO {guard} SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM {guard});\n"
    )


def maintain(con: duckdb.DuckDBPyConnection, older_than_days: int = 7, alias: str = ALIAS) -> None:
    """Routine DuckLake upkeep: flush inlined rows, merge small files, expire old snapshots, delete files.

    Every small commit (and every guard bump) adds a snapshot; without this the catalog and the data
    path only grow. Run it from one place (a daily task), not from every writer.
    """
    con.execute(f"CALL ducklake_flush_inlined_data('{alias}')")
    con.execute(f"CALL ducklake_merge_adjacent_files('{alias}')")
    con.execute(
        f"CALL ducklake_expire_snapshots('{alias}', older_than => now() - INTERVAL {int(older_than_days)} DAY)"
    )
    con.execute(f"CALL ducklake_cleanup_old_files('{alias}', cleanup_all => true)")

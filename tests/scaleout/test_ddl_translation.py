"""The DuckLake DDL translation is pure text work: these run everywhere, without PostgreSQL."""

from __future__ import annotations

import duckdb
import pytest

from warehouse import ducklake
from warehouse.db import SCHEMA_MIGRATIONS_DDL, _migrations


def test_keys_are_stripped_and_reported() -> None:
    translated = ducklake.translate_ddl(
        """
        -- a comment that says PRIMARY KEY must not matter
        CREATE TABLE IF NOT EXISTS raw.things (
            id VARCHAR PRIMARY KEY,
            label VARCHAR DEFAULT 'UNIQUE (x)' NOT NULL,
            size INTEGER CHECK (size > (0)),
            owner VARCHAR REFERENCES raw.owners (id)
        );
        CREATE TABLE marts.pairs (a INTEGER, b DATE, note VARCHAR, PRIMARY KEY (a, b));
        CREATE UNIQUE INDEX pairs_note ON marts.notes (note);
        CREATE INDEX plain ON marts.pairs (note);
        ALTER TABLE raw.later ADD PRIMARY KEY (k1, k2);
        CREATE OR REPLACE VIEW v AS SELECT 'PRIMARY KEY' AS s;
        """
    )
    assert translated.keys == {
        "raw.things": ("id",),
        "marts.pairs": ("a", "b"),
        "marts.notes": ("note",),
        "raw.later": ("k1", "k2"),
    }
    sql = translated.sql
    assert "INDEX" not in sql and "CHECK" not in sql and "REFERENCES" not in sql
    assert "'UNIQUE (x)'" in sql and "'PRIMARY KEY' AS s" in sql  # literals untouched
    assert "PRIMARY KEY (" not in sql.replace("'PRIMARY KEY'", "")
    assert "id VARCHAR NOT NULL" in sql  # a key column stays NOT NULL, as DuckDB makes it
    assert "a INTEGER NOT NULL" in sql and "b DATE NOT NULL" in sql and "note VARCHAR\n" in sql


def test_every_shipped_migration_runs_translated_on_plain_duckdb() -> None:
    """The translated text is valid DuckDB, and it declares a key for every base table."""
    con = duckdb.connect()
    keys = {}
    for _name, sql in [("schema", SCHEMA_MIGRATIONS_DDL), *_migrations()]:
        translated = ducklake.translate_ddl(sql)
        con.execute(translated.sql)
        keys.update(translated.keys)
    assert keys["marts.watch_signals"] == ("role_id", "week", "signal")
    assert keys["marts.alerts"] == ("alert_id",)
    assert keys["main.schema_migrations"] == ("name",)
    constraints = con.execute(
        "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
    ).fetchone()[0]
    assert constraints == 0


@pytest.mark.parametrize(
    "statement", ["CREATE SEQUENCE seq_ids START 1", "CREATE TYPE mood AS ENUM ('up', 'down')"]
)
def test_unportable_statements_are_refused(statement: str) -> None:
    with pytest.raises(ducklake.UnportableDDL, match="sequences or user-defined types"):
        ducklake.translate_ddl(statement)


def test_written_tables_finds_write_targets_only() -> None:
    sql = """
        INSERT INTO raw.payloads SELECT 1; DELETE FROM "Marts".Alerts t WHERE true;
        UPDATE lake.staging.postings SET title = 'x'; COPY raw.fetches TO 'out.csv';
        SELECT * FROM marts.role_scores; INSERT OR REPLACE INTO marts.role_states VALUES (1)
    """
    assert ducklake.written_tables(sql) == {
        "raw.payloads",
        "marts.alerts",
        "staging.postings",
        "marts.role_states",
    }


def test_extension_files_come_from_the_pypi_packages() -> None:
    for name in ducklake.EXTENSION_PACKAGES:
        path = ducklake.extension_file(name)
        assert path.name == f"{name}.duckdb_extension" and "site-packages" in str(path)
    con = duckdb.connect()
    for statement in ducklake.attach_statements("postgres:dbname=unused")[:2]:
        assert statement.startswith("LOAD '")
        con.execute(statement)
    loaded = {
        r[0] for r in con.execute("SELECT extension_name FROM duckdb_extensions() WHERE loaded").fetchall()
    }
    assert {"ducklake", "postgres_scanner"} <= loaded

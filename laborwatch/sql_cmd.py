"""`laborwatch sql`: read-only queries on the analyst snapshot (or a warehouse file)."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl

from warehouse.snapshot import open_read_only


class ReadOnlyError(RuntimeError):
    """A statement that would write; laborwatch sql never writes."""


def run_query(path: Path, sql: str) -> pl.DataFrame:
    """Run `sql` on a read-only connection to `path`; a write is refused with a clear error."""
    con = open_read_only(path)
    try:
        return con.execute(sql).pl()
    except (duckdb.InvalidInputException, duckdb.PermissionException) as exc:
        if "read-only" in str(exc) or "read only" in str(exc):
            raise ReadOnlyError(
                f"laborwatch sql is read-only: the statement would write to {path} ({exc})"
            ) from exc
        raise
    finally:
        con.close()


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def format_frame(df: pl.DataFrame, fmt: str) -> str:
    """The result as an aligned table, CSV or a JSON array of row objects."""
    if fmt == "json":
        return json.dumps(df.to_dicts(), default=_json_default, indent=1)
    if fmt == "csv":
        flat = df.with_columns(
            [pl.col(c).cast(pl.List(pl.String)).list.join(";") for c, t in df.schema.items() if t == pl.List]
        )
        buffer = io.StringIO()
        flat.write_csv(buffer)
        return buffer.getvalue().rstrip("\n")
    with pl.Config(
        tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=240, tbl_hide_dataframe_shape=True
    ):
        return str(df)

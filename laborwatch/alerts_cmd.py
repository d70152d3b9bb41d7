"""`laborwatch alerts [--since DATE]`: the alerts fired, newest first, with their delivery status."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from warehouse.db import Warehouse


def list_alerts(con_or_wh: duckdb.DuckDBPyConnection | Warehouse, since: date | None = None) -> pl.DataFrame:
    """Rows of the `alerts` view fired on or after `since` (all when None), newest first.

    Takes a plain connection because the CLI reads the analyst snapshot read-only, where no
    Warehouse (which migrates on open) can be used.
    """
    con = con_or_wh.con if isinstance(con_or_wh, Warehouse) else con_or_wh
    where, params = ("WHERE fired_at >= ?", [since]) if since else ("", [])
    return con.execute(
        "SELECT alert_id, role_id, fired_at, kind, old_value, new_value, message, delivery_status "
        f"FROM alerts {where} ORDER BY fired_at DESC, kind, alert_id",
        params,
    ).pl()

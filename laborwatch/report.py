"""`laborwatch report`: one self-contained HTML page per warehouse, no network needed to open it.

Charts are inline SVG drawn here (no scripts, no fonts, no CDN), so the page opens offline, cannot
throw console errors and cannot run anything a posting smuggles in: every text that comes from
data goes through html.escape.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from laborwatch.settings import Settings
from warehouse.snapshot import open_read_only

STATE_COLOURS = {
    "stable": "#eef1f4",
    "strengthening": "#d9f2e3",
    "weakening": "#fbe0dc",
    "mixed_review": "#fdf1cf",
}
SERIES_COLOURS = ["#1f5fa8", "#c2452d", "#2f8a4c", "#8a5cc2", "#b07d12"]
WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 640, 220, 48, 12, 14, 28


@dataclass
class ReportData:
    generated_at: datetime
    roles: pl.DataFrame
    scores: pl.DataFrame
    signals: pl.DataFrame
    alerts: pl.DataFrame
    health: pl.DataFrame
    bls: pl.DataFrame
    releases: pl.DataFrame
    postings: pl.DataFrame
    freshness: dict[str, object]


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return con.execute(sql).pl()


def read_report_data(con: duckdb.DuckDBPyConnection) -> ReportData:
    """Everything the page shows, read from the analyst views in one place."""
    freshness = con.execute(
        "SELECT (SELECT max(fetched_at) FROM postings) AS latest_posting_fetch,"
        " (SELECT max(last_seen) FROM postings) AS latest_posting_seen,"
        " (SELECT count(*) FROM postings WHERE closed_at IS NULL) AS open_postings,"
        " (SELECT count(*) FROM postings) AS postings,"
        " (SELECT max(retrieved_at) FROM bls_observations) AS latest_bls_pull,"
        " (SELECT max(as_of) FROM role_scores) AS latest_score_week"
    ).fetchone()
    names = [
        "latest_posting_fetch",
        "latest_posting_seen",
        "open_postings",
        "postings",
        "latest_bls_pull",
        "latest_score_week",
    ]
    return ReportData(
        generated_at=datetime.now(UTC).replace(microsecond=0),
        roles=_frame(con, "SELECT role_id, title, soc_codes, total FROM role_cards ORDER BY role_id"),
        scores=_frame(con, "SELECT * FROM role_scores ORDER BY role_id, as_of"),
        signals=_frame(con, "SELECT * FROM watch_signals ORDER BY role_id, signal, week"),
        alerts=_frame(con, "SELECT * FROM alerts ORDER BY fired_at DESC, alert_id"),
        health=_frame(
            con,
            "SELECT * FROM source_health QUALIFY row_number() OVER (PARTITION BY source, board ORDER BY run DESC)"
            " = 1 ORDER BY source, board",
        ),
        bls=_frame(con, "SELECT * FROM bls_observations ORDER BY series_id, year DESC, period DESC"),
        releases=_frame(
            con, "SELECT program, title, released_at FROM staging.bls_releases ORDER BY released_at"
        ),
        postings=_frame(
            con,
            "SELECT role_id, title, company, location, seniority, tags, first_seen FROM postings"
            " WHERE role_id IS NOT NULL QUALIFY row_number() OVER (PARTITION BY role_id ORDER BY first_seen DESC,"
            " posting_key) <= 8 ORDER BY role_id, first_seen DESC",
        ),
        freshness=dict(zip(names, freshness, strict=True)),
    )


# ------------------------------------------------------------------------------------------ charts
def _scale(lo: float, hi: float, size: float, invert: bool = False):
    span = (hi - lo) or 1.0

    def f(v: float) -> float:
        r = (v - lo) / span
        return size * (1 - r) if invert else size * r

    return f


def svg_chart(
    weeks: Sequence[object],
    series: dict[str, Sequence[float | None]],
    *,
    title: str,
    bands: Sequence[str] | None = None,
    intervals: dict[str, tuple[Sequence[float | None], Sequence[float | None]]] | None = None,
    y_range: tuple[float, float] | None = None,
) -> str:
    """A line chart over weeks; `bands` colours each week by outlook state, `intervals` shades CIs."""
    if not weeks:
        return f'<p class="empty">{_e(title)}: no data yet</p>'
    values = [v for s in series.values() for v in s if v is not None]
    for lows, highs in (intervals or {}).values():
        values += [v for v in (*lows, *highs) if v is not None]
    lo, hi = y_range or (min(values, default=0.0), max(values, default=1.0))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    n = len(weeks)
    x = _scale(0, max(n - 1, 1), plot_w)
    y = _scale(lo, hi, plot_h, invert=True)
    step = plot_w / max(n - 1, 1)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
        f'<title>{_e(title)}</title><g transform="translate({PAD_L},{PAD_T})">'
    ]
    for i, state in enumerate(bands or []):
        left = max(x(i) - step / 2, 0)
        right = min(x(i) + step / 2, plot_w)
        parts.append(
            f'<rect class="band" x="{left:.1f}" y="0" width="{right - left:.1f}" height="{plot_h}" '
            f'fill="{STATE_COLOURS.get(state, "#fff")}"><title>{_e(weeks[i])}: {_e(state)}</title></rect>'
        )
    for k in range(5):
        value = lo + (hi - lo) * k / 4
        parts.append(
            f'<line x1="0" x2="{plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#d5d9de" '
            f'stroke-width="0.5"/><text x="-6" y="{y(value) + 4:.1f}" text-anchor="end">{value:.3g}</text>'
        )
    for i in sorted({0, n // 2, n - 1}):
        parts.append(f'<text x="{x(i):.1f}" y="{plot_h + 18}" text-anchor="middle">{_e(weeks[i])}</text>')
    for j, (name, values_) in enumerate(series.items()):
        colour = SERIES_COLOURS[j % len(SERIES_COLOURS)]
        if intervals and name in intervals:
            lows, highs = intervals[name]
            pts = [
                (i, low, high)
                for i, (low, high) in enumerate(zip(lows, highs, strict=True))
                if low is not None and high is not None
            ]
            if pts:
                upper = " ".join(f"{x(i):.1f},{y(h):.1f}" for i, _, h in pts)
                lower = " ".join(f"{x(i):.1f},{y(low):.1f}" for i, low, _ in reversed(pts))
                parts.append(f'<polygon points="{upper} {lower}" fill="{colour}" opacity="0.15"/>')
        points = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values_) if v is not None]
        if points:
            parts.append(
                f'<polyline class="series" points="{" ".join(points)}" fill="none" stroke="{colour}" '
                f'stroke-width="2"/>'
            )
    parts.append("</g></svg>")
    legend = "".join(
        f'<span class="key"><i style="background:{SERIES_COLOURS[j % len(SERIES_COLOURS)]}"></i>{_e(name)}</span>'
        for j, name in enumerate(series)
    )
    return f'<figure><figcaption>{_e(title)}</figcaption>{"".join(parts)}<div class="legend">{legend}</div></figure>'


# ------------------------------------------------------------------------------------------ page
def _signal(signals: pl.DataFrame, role: str, name: str, weeks: list) -> tuple[list, list, list]:
    rows = {
        r["week"]: r
        for r in signals.filter((pl.col("role_id") == role) & (pl.col("signal") == name)).to_dicts()
    }
    pick = [rows.get(w) for w in weeks]
    return (
        [r and r["value"] for r in pick],
        [r and r["ci_low"] for r in pick],
        [r and r["ci_high"] for r in pick],
    )


def _table(df: pl.DataFrame, columns: Sequence[str], empty: str) -> str:
    if df.is_empty():
        return f'<p class="empty">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(', '.join(v) if isinstance(v, list) else v)}</td>" for v in row) + "</tr>"
        for row in df.select(columns).iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _role_section(data: ReportData, role: dict) -> str:
    role_id = role["role_id"]
    scores = data.scores.filter(pl.col("role_id") == role_id)
    weeks = scores["as_of"].to_list()
    signal_weeks = sorted(set(data.signals.filter(pl.col("role_id") == role_id)["week"].to_list()))
    latest = scores.tail(1).to_dicts()
    headline = (
        f'<p class="headline"><b>{latest[0]["total"]:.1f}</b>/100 · state <b>{_e(latest[0]["outlook_state"])}</b>'
        f' · week {_e(latest[0]["as_of"])}</p><p class="why">{_e(latest[0]["explanation"])}</p>'
        if latest
        else '<p class="empty">no score yet</p>'
    )
    score_chart = svg_chart(
        weeks,
        {
            "total": scores["total"].to_list(),
            "automation_resistance": scores["automation_resistance"].to_list(),
            "structural_moat": scores["structural_moat"].to_list(),
            "demand": scores["demand"].to_list(),
        },
        title="Score and its three components (background: outlook state)",
        bands=scores["outlook_state"].to_list(),
        y_range=(0, max(100.0, *scores["total"].to_list())) if weeks else None,
    )
    prod, prod_lo, prod_hi = _signal(data.signals, role_id, "entry_production_share", signal_weeks)
    rout, rout_lo, rout_hi = _signal(data.signals, role_id, "entry_routine_only_share", signal_weeks)
    key_chart = svg_chart(
        signal_weeks,
        {"entry production share": prod, "entry routine-only share": rout},
        title="Key watch: do entry postings ask for deployment and evaluation, or only routine adaptation? (95 % CI)",
        intervals={
            "entry production share": (prod_lo, prod_hi),
            "entry routine-only share": (rout_lo, rout_hi),
        },
        y_range=(0, 1),
    )
    entry, entry_lo, entry_hi = _signal(data.signals, role_id, "entry_share", signal_weeks)
    senior = _signal(data.signals, role_id, "senior_volume_index", signal_weeks)[0]
    volume = _signal(data.signals, role_id, "volume_index", signal_weeks)[0]
    entry_chart = svg_chart(
        signal_weeks,
        {"entry share": entry},
        title="Entry share of new postings (95 % CI)",
        intervals={"entry share": (entry_lo, entry_hi)},
        y_range=(0, 1),
    )
    volume_chart = svg_chart(
        signal_weeks,
        {"volume index": volume, "senior volume index": senior},
        title="Posting volume (7-day trailing average, baseline = 100)",
    )
    employers = _signal(data.signals, role_id, "distinct_employers", signal_weeks)[0]
    hhi = _signal(data.signals, role_id, "employer_hhi", signal_weeks)[0]
    breadth_chart = svg_chart(signal_weeks, {"distinct employers": employers}, title="Employer breadth")
    hhi_chart = svg_chart(signal_weeks, {"employer HHI": hhi}, title="Employer concentration (HHI)")
    postings = data.postings.filter(pl.col("role_id") == role_id)
    return (
        f'<section class="role" id="{_e(role_id)}"><h2>{_e(role["title"])} '
        f"<small>SOC proxy {_e(', '.join(role['soc_codes']))} · published baseline {role['total']:g}</small></h2>"
        f'{headline}<div class="grid">{score_chart}{key_chart}{entry_chart}{volume_chart}{breadth_chart}'
        f"{hhi_chart}</div><h3>Latest postings</h3>"
        f"{_table(postings, ['first_seen', 'title', 'company', 'location', 'seniority', 'tags'], 'none yet')}"
        "</section>"
    )


def _bls_section(data: ReportData) -> str:
    latest = (
        data.bls.group_by("series_id", maintain_order=True).first() if not data.bls.is_empty() else data.bls
    )
    releases = data.releases.sort("released_at", descending=True).head(12)
    return (
        "<section><h2>BLS demand figures</h2>"
        f"{_table(latest, ['series_id', 'year', 'period', 'value', 'footnote_codes', 'retrieved_at'], 'no BLS data yet')}"
        "<h3>Release dates</h3>"
        f"{_table(releases, ['program', 'title', 'released_at'], 'no release calendar loaded')}</section>"
    )


CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1340px;color:#1d232b;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #d5d9de}
h2 small{font-weight:normal;color:#5b6570;font-size:13px}h3{font-size:15px;margin:16px 0 6px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(640px,1fr));gap:10px}
figure{margin:0;background:#fff;border:1px solid #e3e6ea;padding:6px}figcaption{font-weight:600;margin-bottom:2px}
svg text{font-size:10px;fill:#5b6570}.legend{font-size:12px}.key{margin-right:14px}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
table{border-collapse:collapse;width:100%;font-size:12.5px}th,td{border-bottom:1px solid #e3e6ea;padding:3px 6px;
text-align:left;vertical-align:top}th{background:#f4f6f8}.empty{color:#8a939c;font-style:italic}
.headline{font-size:16px;margin:4px 0}.why{color:#3d4650;margin:2px 0 8px}
.states span{padding:1px 6px;margin-right:6px;border:1px solid #d5d9de}.fresh td:first-child{width:220px}
"""


def render_report(data: ReportData) -> str:
    """The whole page as one string; every data-derived text is escaped."""
    states = "".join(f'<span style="background:{c}">{_e(s)}</span>' for s, c in STATE_COLOURS.items())
    fresh = "".join(
        f"<tr><td>{_e(k.replace('_', ' '))}</td><td>{_e(v)}</td></tr>" for k, v in data.freshness.items()
    )
    alerts = _table(
        data.alerts,
        ["fired_at", "role_id", "kind", "old_value", "new_value", "message", "delivery_status"],
        "no alerts fired",
    )
    health = _table(
        data.health, ["source", "board", "run", "status", "rows", "error"], "no source fetched yet"
    )
    roles = "".join(_role_section(data, role) for role in data.roles.to_dicts())
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>laborwatch report</title><style>{CSS}</style></head><body>"
        f"<h1>laborwatch: career-outlook watch signals</h1><p>Generated {_e(data.generated_at.isoformat())}. "
        f'Outlook states: <span class="states">{states}</span></p>'
        f'<section><h2>Data freshness</h2><table class="fresh">{fresh}</table></section>'
        f"{roles}<section><h2>Alerts timeline</h2>{alerts}</section>"
        f"{_bls_section(data)}<section><h2>Source health per board (latest run)</h2>{health}</section>"
        "</body></html>"
    )


def write_report(settings: Settings, output: Path) -> Path:
    """Render the report from the analyst snapshot (never the live warehouse) into `output`."""
    con = open_read_only(settings.snapshot_path)
    try:
        page = render_report(read_report_data(con))
    finally:
        con.close()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(output.suffix + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(output)
    return output

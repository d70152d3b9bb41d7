"""The laborwatch command line (DESIGN §3.3: commands and flags are a contract)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path

from laborwatch.settings import POSTING_SOURCES, Settings, SettingsError, load_settings

EXIT_USAGE = 2


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None), getattr(args, "warehouse", None))


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=1, default=str))


def cmd_demo(args: argparse.Namespace) -> int:
    from laborwatch.demo import run_demo

    result = run_demo(args.scenario, args.weeks, args.warehouse)
    return 0 if result.ok else 1


def cmd_run(args: argparse.Namespace) -> int:
    from laborwatch import pipeline

    _print_json(pipeline.run(_settings(args), args.as_of, progress=sys.stderr.isatty()))
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from laborwatch import pipeline

    settings = _settings(args)
    if args.what == "postings":
        _print_json(pipeline.ingest_postings(settings, args.as_of, progress=sys.stderr.isatty()))
    else:
        _print_json(pipeline.ingest_bls(settings, args.as_of, force=True))
    pipeline.publish(settings)
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from laborwatch.classify_cmd import classify_jsonl
    from laborwatch.role_cards import load_role_cards

    count = classify_jsonl(Path(args.input), Path(args.output) if args.output else None, load_role_cards())
    if args.output:
        print(f"classified {count} postings into {args.output}", file=sys.stderr)
    return 0


def cmd_reclassify(args: argparse.Namespace) -> int:
    import polars as pl

    from laborwatch import pipeline
    from laborwatch.classify_cmd import reclassify_warehouse
    from laborwatch.sql_cmd import format_frame

    settings = _settings(args)
    with pipeline.open_warehouse(settings) as wh:
        report = reclassify_warehouse(wh, pipeline.cards_for(settings), apply=not args.dry_run)
    print(format_frame(report.filter(pl.col("delta").abs() > 0) if args.changed else report, args.format))
    if not args.dry_run:
        pipeline.publish(settings)
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from laborwatch.sql_cmd import format_frame, run_query

    path = Path(args.warehouse) if args.warehouse else load_settings(args.config).snapshot_path
    print(format_frame(run_query(path, args.query), args.format))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from laborwatch.report import write_report

    settings = _settings(args)
    path = write_report(settings, Path(args.output))
    print(path)
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from laborwatch.alerts_cmd import list_alerts
    from laborwatch.sql_cmd import format_frame
    from warehouse.snapshot import open_read_only

    settings = _settings(args)
    con = open_read_only(settings.snapshot_path)
    try:
        print(format_frame(list_alerts(con, args.since), args.format))
    finally:
        con.close()
    return 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    from laborwatch import pipeline, quarantine_cmd
    from laborwatch.sql_cmd import format_frame

    settings = _settings(args)
    with pipeline.open_warehouse(settings) as wh:
        if args.action == "list":
            print(format_frame(quarantine_cmd.list_quarantine(wh), "table"))
            return 0
        if not args.id:
            raise SettingsError(f"laborwatch quarantine {args.action} needs an ID")
        if args.action == "show":
            _print_json(quarantine_cmd.show_quarantine(wh, args.id))
            return 0
        held = quarantine_cmd.show_quarantine(wh, args.id)
        if held["stage"] == "parse" and held["source"] in POSTING_SOURCES:
            from laborwatch.ingest_postings import release_parse_quarantine

            rows = release_parse_quarantine(
                settings, wh, args.id, pipeline.resolve_as_of(None), pipeline.cards_for(settings)
            )
            _print_json({"quarantine_id": args.id, "released": True, "rows_loaded": rows})
            pipeline.publish(settings)
            return 0
        result = quarantine_cmd.release_quarantine(
            settings, wh, args.id, pipeline.release_loaders(settings, wh)
        )
        _print_json(asdict(result))
    if not result.released:
        print(f"laborwatch: {args.id} stays in quarantine: {result.message}", file=sys.stderr)
        return 1
    pipeline.publish(settings)
    return 0


def cmd_validations(args: argparse.Namespace) -> int:
    from laborwatch import pipeline
    from laborwatch.quarantine_cmd import validation_summary_html

    with pipeline.open_warehouse(_settings(args)) as wh:
        page = validation_summary_html(wh, args.limit)
    output = Path(args.output)
    output.write_text(page, encoding="utf-8")
    print(output)
    return 0


def cmd_outlook(args: argparse.Namespace) -> int:
    from laborwatch import pipeline

    settings = _settings(args)
    _print_json(pipeline.compute_outlook(settings, args.as_of, full=args.full))
    _print_json(pipeline.fire_alerts(settings, args.as_of))
    pipeline.publish(settings)
    return 0


def _add_common(parser: argparse.ArgumentParser, as_of: bool = True) -> None:
    parser.add_argument("--config", metavar="FILE", help="TOML config file (default: built-in defaults)")
    parser.add_argument("--warehouse", metavar="PATH", help="DuckDB warehouse file (overrides the config)")
    if as_of:
        parser.add_argument(
            "--as-of",
            metavar="DATE",
            help="logical date of the run (first_seen/last_seen and signal weeks use it); default now",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="laborwatch",
        description="Streaming labor-market signal tracker: scrapes job postings and BLS releases into "
        "DuckDB, computes weekly watch signals per role, recomputes outlook scores and fires alerts.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(handler=handler)
        return p

    p = add(
        "demo",
        cmd_demo,
        "Run a simulated market of several dozen employers through the real pipeline, "
        "served on 127.0.0.1, week by week; print scores, states and alerts.",
    )
    p.add_argument(
        "--scenario", choices=["strengthen", "junior-cut", "mixed", "steady"], default="strengthen"
    )
    p.add_argument("--weeks", type=int, default=16, metavar="N", help="weeks to simulate (default 16)")
    p.add_argument("--warehouse", metavar="PATH", help="warehouse file (default data/demo/warehouse.duckdb)")

    p = add(
        "run",
        cmd_run,
        "One full pass: ingest postings and BLS, gate, transforms, scores, alerts, "
        "then publish the analyst snapshot.",
    )
    _add_common(p)

    p = add("ingest", cmd_ingest, "Ingest one kind of source into the warehouse.")
    p.add_argument("what", choices=["postings", "bls"], help="postings: the job boards; bls: BLS releases")
    _add_common(p)

    p = add("outlook", cmd_outlook, "Recompute signals, states and scores, then fire and deliver alerts.")
    _add_common(p)
    p.add_argument("--full", action="store_true", help="recompute every week, not only the weeks touched")

    p = add(
        "classify",
        cmd_classify,
        "Classify postings from a JSON-lines file (id, title, company, location, "
        "description) and write each line back with role_id, soc_code, seniority, tags, "
        "production_ownership, routine_only and classifier_version.",
    )
    p.add_argument("input", metavar="IN.jsonl")
    p.add_argument("-o", "--output", metavar="OUT.jsonl", help="output file (default: standard output)")

    p = add(
        "reclassify",
        cmd_reclassify,
        "Re-classify the stored postings with the current rules (a new classifier_version) and report "
        "the change in every label share; `laborwatch outlook` then recomputes the weeks they touch.",
    )
    p.add_argument("--dry-run", action="store_true", help="report the change without storing it")
    p.add_argument("--changed", action="store_true", help="list only the labels whose share moved")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    _add_common(p, as_of=False)

    p = add("sql", cmd_sql, "Run a read-only SQL query on the analyst snapshot (or on --warehouse PATH).")
    p.add_argument("query", metavar='"SELECT …"')
    p.add_argument("--warehouse", metavar="PATH", help="query this DuckDB file (read-only) instead")
    p.add_argument("--config", metavar="FILE", help="config file that locates the snapshot")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    p = add("report", cmd_report, "Write the self-contained HTML analyst report.")
    p.add_argument("-o", "--output", metavar="report.html", default="report.html")
    _add_common(p, as_of=False)

    p = add("alerts", cmd_alerts, "List the alerts fired, newest first, with their delivery status.")
    p.add_argument("--since", type=date.fromisoformat, metavar="DATE", help="only alerts fired on or after")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    _add_common(p, as_of=False)

    p = add("quarantine", cmd_quarantine, "List, show or release batches held back by the expectations gate.")
    p.add_argument("action", choices=["list", "show", "release"])
    p.add_argument("id", nargs="?", metavar="ID")
    _add_common(p, as_of=False)

    p = add(
        "validations", cmd_validations, "Write an HTML summary of the expectations gate's validation runs."
    )
    p.add_argument("-o", "--output", metavar="FILE", default="validations.html")
    p.add_argument("--limit", type=int, default=500, metavar="N", help="latest N runs (default 500)")
    _add_common(p, as_of=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    from laborwatch.sql_cmd import ReadOnlyError
    from transforms.role_card import RoleCardError
    from warehouse.db import WarehouseError

    try:
        return args.handler(args)
    except (
        SettingsError,
        RoleCardError,
        WarehouseError,
        ReadOnlyError,
        FileNotFoundError,
        ValueError,
    ) as exc:
        print(f"laborwatch: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

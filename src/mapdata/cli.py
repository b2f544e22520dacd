"""Command line: ``mapdata validate``, ``mapdata import``, ``mapdata export``, ``mapdata build-geo``.

Errors are one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from . import cache, config, formats
from .dataset import Dataset, load_dataset
from .errors import MapdataError
from .dates import check_date_format
from .export import FORMATS, export_bytes, rejected_csv, to_csv
from .filters import FIELDS, FilterField, FilterSpec, filter_events
from .join import country_mismatches
from .names import country_iso3
from .load import load_events
from .rejections import grouped_lines

EXIT_ERROR = 2
EXIT_NOTHING_ACCEPTED = 1
"""`mapdata validate` of a file whose data rows were all rejected: the summary, and this status."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return args.run(args)
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except MapdataError as exc:
        print(f"mapdata: error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"mapdata: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
    finally:
        cache.wait()  # the copy of a freshly loaded file, written while the command did its work
    return EXIT_ERROR


def run() -> None:
    """The ``mapdata`` command: :func:`main`, then exit without the interpreter's teardown.

    Output files are closed by then and the streams are flushed here; what the teardown would
    still do is free every object one by one (after a million-event load, about half a second
    with nothing to show for it).
    """
    status = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or an already closed stream: nothing left to write
            pass
    os._exit(status)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mapdata", description="Validate, join and export conflict-incident data.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser("validate", help="check an events CSV and list the rejected rows")
    validate.add_argument("file", type=Path, help="events CSV (mapdata schema, ACLED export, UCDP GED, or mapped)")
    validate.add_argument("--format", dest="format_in", type=_input_format, default=("auto", None), metavar="FORMAT", help=_FORMAT_HELP)
    _reading_options(validate)
    _report_options(validate)
    validate.set_defaults(run=_validate)

    imp = commands.add_parser("import", help="convert an ACLED, UCDP GED or mapped CSV to the mapdata schema and report")
    imp.add_argument("file", type=Path, help="the file to import")
    imp.add_argument("--format", dest="format_in", type=_input_format, default=("auto", None), metavar="FORMAT", help=_FORMAT_HELP)
    imp.add_argument("-o", "--output", type=Path, required=True, help="CSV to write (mapdata schema + kept source columns)")
    _reading_options(imp)
    _report_options(imp)
    imp.set_defaults(run=_import)

    export = commands.add_parser("export", help="write the (filtered) events as GeoJSON, CSV or GeoPackage")
    export.add_argument("--events", type=Path, default=None, help=f"events CSV (default: {config.get('EVENTS')})")
    export.add_argument("--events-format", dest="format_in", type=_input_format, default=("auto", None), metavar="FORMAT",
                        help="format of --events: " + _FORMAT_HELP)
    _reading_options(export)
    _add_filter_options(export)
    export.add_argument("--format", choices=list(FORMATS), default="geojson", help="output format (default geojson)")
    export.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    export.set_defaults(run=_export)

    build = commands.add_parser("build-geo", help="regenerate the boundary layers in geo/ from the geoBoundaries files")
    build.add_argument("--source", type=Path, default=None, help=f"folder with the source files (default: {config.get('SOURCE_BOUNDARIES')})")
    build.add_argument("--out", type=Path, default=None, help=f"output folder (default: {config.get('GEO_DIR')})")
    build.set_defaults(run=_build_geo)

    fetch = commands.add_parser("assets", help="fetch the map's Leaflet JS/CSS from the npm registry (once, for offline use)")
    fetch.set_defaults(run=_assets)
    return parser


_FORMAT_HELP = (f"{formats.AUTO} (default; detected from the header), {', '.join(formats.named_formats()[1:])}, "
                "or a MAPPING.json / MAPPING.toml file")


def _reading_options(command: argparse.ArgumentParser) -> None:
    """How to read the events file: its date form and, for a workbook, its sheet."""
    command.add_argument("--date-format", type=_date_format, default=None, metavar="PATTERN",
                         help="the dates' form as a strptime pattern (e.g. %%d/%%m/%%Y) or 'excel' (serial day numbers); "
                              "default: chosen per column from its values (ISO dates are always read)")
    command.add_argument("--sheet", default=None, help="the sheet of an .xlsx workbook to read (default: the first)")


def _report_options(command: argparse.ArgumentParser) -> None:
    """How much of the rejected rows to show: grouped by reason (default), all, or into a CSV file."""
    command.add_argument("--all", dest="all_rows", action="store_true",
                         help="list every rejected row (default: grouped by reason, at most ~40 lines)")
    command.add_argument("--rejected", type=Path, default=None, metavar="FILE.csv",
                         help="write every rejected row (file, row, column, value, reason) to this CSV")


def _date_format(text: str) -> str:
    try:
        return check_date_format(text)
    except MapdataError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _input_format(text: str) -> tuple[str, Path | None]:
    """An input format name (:func:`mapdata.formats.named_formats`), or a mapping file: (format, mapping path)."""
    if text.lower().endswith((".json", ".toml")):
        return "mapping", Path(text)
    if text not in formats.named_formats():
        raise argparse.ArgumentTypeError(
            f"unknown format {text!r}; use {', '.join(formats.named_formats())} or a .json/.toml mapping file")
    return text, None


def _load(path: Path | None, args: argparse.Namespace, name: str | None = None, with_report: bool = False) -> Dataset:
    """load_dataset with the chosen input format (or mapping file), date form and sheet; a fresh
    load is cached in the background while the command goes on (:func:`main` waits for it)."""
    fmt, mapping = args.format_in
    return load_dataset(path, name=name, fmt=fmt, mapping=mapping, cache_later=True,
                        date_format=args.date_format, sheet=args.sheet, with_report=with_report)


def _print_rejected(rejected, args: argparse.Namespace) -> None:
    """The rejected rows grouped by reason (or all of them with --all); with --rejected, all of
    them written to a CSV (formula-safe, as every CSV export)."""
    if args.all_rows:
        for row in rejected.itertuples(index=False):
            value = f" ({row.value!r})" if row.value else ""
            print(f"  row {row.row}, column {row.column}{value}: {row.reason}")
    else:
        for line in grouped_lines(rejected):
            print(line)
    if args.rejected is not None:
        args.rejected.write_bytes(rejected_csv(rejected))
        print(f"wrote {len(rejected)} rejection(s) to {args.rejected}")


def _add_filter_options(command: argparse.ArgumentParser) -> None:
    """One option per filter field (repeatable for many-valued ones), and --url for a copied link."""
    group = command.add_argument_group("filters", "the app's sidebar filters; --url takes them all from a link")
    group.add_argument("--url", metavar="LINK", help="a link copied from the app (full URL or just ?query); "
                       "the other filter options must not be given with it")
    for field in FIELDS:
        group.add_argument(field.flag, dest=field.name, type=_field_type(field), help=field.help,
                           action="append" if field.many else "store", default=None, metavar=field.key.upper())


def _field_type(field: FilterField):
    def parse(text: str) -> object:
        try:
            return (field.read or field.parse)(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{exc}: {text!r}") from None
    return parse


def _filter_spec(args: argparse.Namespace) -> FilterSpec:
    """The FilterSpec of --url or of the filter options (never both, so nothing is silently dropped)."""
    given = {f.name: getattr(args, f.name) for f in FIELDS if getattr(args, f.name) is not None}
    if args.url is None:
        return FilterSpec(**{name: tuple(value) if isinstance(value, list) else value for name, value in given.items()})
    if given:
        flags = ", ".join(f.flag for f in FIELDS if f.name in given)
        raise MapdataError(f"--url already holds the filter; drop {flags} (or edit the link)")
    return FilterSpec.from_link(args.url)


def _validate(args: argparse.Namespace) -> int:
    data = _load(args.file, args, name=str(args.file), with_report=True)  # validate always says how the file was read
    bad_rows = data.rejected["row"].nunique()
    for line in data.report.header_lines():
        print(line)
    print(f"{args.file}: {len(data.events)} rows accepted, {bad_rows} rejected")
    _print_rejected(data.rejected, args)
    flagged = country_mismatches(data.events)
    if len(flagged):
        print(f"{len(flagged)} accepted events lie in a region of another country than the one reported "
              "(a check, not an error):")
        reported = country_iso3(flagged["country"])
        for row, iso in zip(flagged.itertuples(index=False), reported):
            where = (f"point in {row.region_name} ({row.region_country}) and also inside the other country's "
                     "boundary layer (the two sources overlap there)") if iso == row.region_country else (
                     f"point in {row.region_name} ({row.region_country})")
            print(f"  {row.event_id}: reported {row.country}; {where}")
    if bad_rows and not len(data.events):
        print(f"{args.file}: no row was accepted", file=sys.stderr)
        return EXIT_NOTHING_ACCEPTED
    return 0


def _import(args: argparse.Namespace) -> int:
    fmt, mapping = args.format_in
    loaded = load_events(args.file, name=str(args.file), fmt=fmt, mapping=mapping, date_format=args.date_format,
                         sheet=args.sheet)
    args.output.write_text(to_csv(loaded.events), encoding="utf-8")
    for line in loaded.report.summary_lines():
        print(line)
    if len(loaded.rejected):
        print(f"rejected rows ({loaded.report.rejected}):")
        _print_rejected(loaded.rejected, args)
    print(f"wrote {len(loaded.events)} events to {args.output}")
    return 0


def _export(args: argparse.Namespace) -> int:
    data = _load(args.events, args)
    spec = _filter_spec(args)
    selected = filter_events(data.events, spec, data.regions)
    args.output.write_bytes(export_bytes(selected, args.format, spec, source_name=data.name))
    if not len(selected):
        print(f"mapdata: warning: the filter ({spec.describe()}) keeps none of the {len(data.events)} events; "
              f"{args.output} is a valid, empty {args.format} file", file=sys.stderr)
    skipped = f"; {data.rejected['row'].nunique()} invalid rows skipped (see `mapdata validate`)" if len(data.rejected) else ""
    print(f"wrote {len(selected)} of {len(data.events)} events to {args.output} ({args.format}){skipped}", file=sys.stderr)
    return 0


def _build_geo(args: argparse.Namespace) -> int:
    from .geo import build_geo

    for layer, path in build_geo(source_dir=args.source, out_dir=args.out).items():
        print(f"{layer}: {path}")
    return 0


def _assets(args: argparse.Namespace) -> int:
    from .assets import fetch_assets

    files = fetch_assets()
    print(f"{len(files)} asset files ready in {config.get('ASSETS_DIR')}")
    return 0

"""Command line: ``mapdata validate``, ``mapdata import``, ``mapdata export``, ``mapdata geo build``,
``mapdata build-geo``, ``mapdata assets``.

Errors are one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from . import cache, config, formats
from .boundaries import LAYOUTS, Options
from .dataset import Dataset, load_dataset
from .errors import MapdataError
from .dates import check_date_format
from .export import FORMATS, export_bytes, rejected_csv, to_csv
from .filters import FIELDS, FilterField, FilterSpec, filter_events
from .gazetteers import UserGazetteer, read_gazetteer
from .join import country_mismatches
from .names import country_iso3
from .load import load_events
from .rejections import grouped_lines, rejected_rows
from .store.location import is_url, path_or_url
from .store.manifest import is_store
from .stream import NotStreamable, export_stream

EXIT_ERROR = 2
EXIT_NOTHING_ACCEPTED = 1
"""`mapdata validate` of a file whose data rows were all rejected: the summary, and this status."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        (getattr(args, "group_parser", None) or parser).print_help()
        return EXIT_ERROR
    try:
        _use_geography(getattr(args, "geo", None))
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

    geography = argparse.ArgumentParser(add_help=False)
    geography.add_argument("--geo", type=Path, default=None, metavar="DIR",
                           help=f"geography folder to join to (default: {config.get('GEO_DIR')}; built by `mapdata geo build`)")
    geography.add_argument("--gazetteer", type=Path, action="append", default=[], metavar="FILE",
                           help="places for rows without coordinates, after GeoNames: a GeoNames country dump (e.g. BF.txt) "
                                "or a CSV with name, latitude, longitude [, alternative_names, country, admin1] (repeatable)")

    validate = commands.add_parser("validate", parents=[geography], help="check an events CSV and list the rejected rows")
    validate.add_argument("file", type=path_or_url, help="events CSV (mapdata schema, ACLED export, UCDP GED, or mapped), "
                          "or a store (a folder or a URL such as s3://bucket/store)")
    validate.add_argument("--format", dest="format_in", type=_input_format, default=("auto", None), metavar="FORMAT", help=_FORMAT_HELP)
    _reading_options(validate)
    _report_options(validate)
    validate.set_defaults(run=_validate)

    imp = commands.add_parser("import", parents=[geography], help="convert an ACLED, UCDP GED or mapped CSV to the mapdata schema and report")
    imp.add_argument("file", type=Path, help="the file to import")
    imp.add_argument("--format", dest="format_in", type=_input_format, default=("auto", None), metavar="FORMAT", help=_FORMAT_HELP)
    imp.add_argument("-o", "--output", type=Path, required=True, help="CSV to write (mapdata schema + kept source columns)")
    _reading_options(imp)
    _report_options(imp)
    imp.set_defaults(run=_import)

    export = commands.add_parser("export", parents=[geography], help="write the (filtered) events as GeoJSON, CSV or GeoPackage")
    export.add_argument("--events", type=path_or_url, default=None,
                        help=f"events file or store, a folder or a URL (default: {config.get('EVENTS')})")
    export.add_argument("--events-format", dest="format_in", type=_input_format, default=("auto", None), metavar="FORMAT",
                        help="format of --events: " + _FORMAT_HELP)
    _reading_options(export)
    _add_filter_options(export)
    export.add_argument("--format", choices=list(FORMATS), default="geojson", help="output format (default geojson)")
    export.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    export.set_defaults(run=_export)

    _geo_commands(commands)
    build = commands.add_parser("build-geo", help="rebuild the shipped geography in geo/ from its geoBoundaries files (same build as `geo build`)")
    build.add_argument("--source", type=Path, default=None, help=f"folder with the source files (default: {config.get('SOURCE_BOUNDARIES')})")
    build.add_argument("--out", type=Path, default=None, help=f"output folder (default: {config.get('GEO_DIR')})")
    build.set_defaults(run=_build_geo)

    store = commands.add_parser("store", help="a partitioned GeoParquet store of events, built on Dask (see README, At scale)")
    store.set_defaults(group_parser=store)
    store_commands = store.add_subparsers(dest="store_command", metavar="STORE_COMMAND")
    store_build = store_commands.add_parser("build", parents=[geography], help="load, validate, geocode and join events files into a store "
                                            "(made if absent; sources already in it are skipped)")
    store_build.add_argument("sources", type=path_or_url, nargs="+", metavar="SOURCE",
                             help="events files (any format `validate` reads), paths or URLs such as s3://bucket/file.csv")
    store_build.add_argument("-o", "--output", type=path_or_url, required=True, metavar="STORE",
                             help="the store's folder, or a URL such as s3://bucket/store")
    store_build.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://HOST:8786); default: a local "
                             "cluster of this machine's cores")
    store_build.add_argument("--format", dest="format_in", type=_input_format, default=("auto", None), metavar="FORMAT", help=_FORMAT_HELP)
    _reading_options(store_build)
    store_build.add_argument("--chunk-mb", type=float, default=64, metavar="MB",
                             help="bytes of a source each task reads at once (default 64; bounds the workers' memory)")
    store_build.set_defaults(run=_store_build)

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


def _geo_commands(commands) -> None:
    group = commands.add_parser("geo", help="build a geography (regions, countries, borders) from boundary files")
    group.set_defaults(group_parser=group)
    verbs = group.add_subparsers(dest="geo_command", metavar="COMMAND")
    build = verbs.add_parser("build", help="build a geography folder from boundary files of any country",
                             description="Layouts detected: " + "; ".join(
                                 f"{layout.name} ({layout.describe})" for layout in LAYOUTS))
    build.add_argument("files", type=Path, nargs="+", metavar="FILE",
                       help="boundary files: GeoJSON, TopoJSON, GeoPackage, shapefile or zipped shapefiles (several countries and levels may be combined)")
    build.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="geography folder to write")
    build.add_argument("--name-column", help="column with the English name (for a layer in no known layout)")
    build.add_argument("--id-column", help="column with a unique id (default: ISO3-LEVEL-row)")
    build.add_argument("--country", help="ISO3 code or English name of the country (when the files do not say)")
    build.add_argument("--level", help="administrative level, e.g. ADM1 or 1 (when the files do not say)")
    build.add_argument("--source", help="source credit for every file (default: from the metadata or the file)")
    build.add_argument("--licence", help="licence of the files (default: from the metadata; else 'licence unknown')")
    build.add_argument("--border", type=Path, action="append", default=[], metavar="FILE",
                       help="a line layer to add to the border lines (e.g. a ceasefire or contact line; repeatable)")
    build.add_argument("--tolerance-km", type=float, default=None,
                       help=f"how close two countries' outlines must be to count as land border (default {config.get('BORDER_TOLERANCE_KM')})")
    build.set_defaults(run=_geo_build)


def _use_geography(folder: Path | None) -> None:
    """``--geo DIR``: the geography every step of this command reads (the GEO_DIR setting)."""
    if folder is not None:
        from .geo import check_geography

        os.environ["MAPDATA_GEO_DIR"] = str(check_geography(folder).resolve())


def _input_format(text: str) -> tuple[str, Path | None]:
    """An input format name (:func:`mapdata.formats.named_formats`), or a mapping file: (format, mapping path)."""
    if text.lower().endswith((".json", ".toml")):
        return "mapping", Path(text)
    if text not in formats.named_formats():
        raise argparse.ArgumentTypeError(
            f"unknown format {text!r}; use {', '.join(formats.named_formats())} or a .json/.toml mapping file")
    return text, None


def _load(path: Path | None, args: argparse.Namespace, name: str | None = None, with_report: bool = False) -> Dataset:
    """load_dataset with the chosen input format (or mapping file), date form, sheet and user
    gazetteers; a fresh load is cached in the background while the command goes on (:func:`main`
    waits for it)."""
    fmt, mapping = args.format_in
    return load_dataset(path, name=name, fmt=fmt, mapping=mapping, cache_later=True,
                        date_format=args.date_format, sheet=args.sheet, with_report=with_report,
                        gazetteers=_gazetteers(args.gazetteer))


def _gazetteers(paths: list[Path]) -> list[UserGazetteer]:
    """``--gazetteer`` files read; the rows left out are listed on stderr."""
    read = [read_gazetteer(path) for path in paths]
    for gazetteer in read:
        for problem in gazetteer.problems:
            print(f"warning: {problem}", file=sys.stderr)
    return read


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
    if is_store(args.file):
        return _validate_store(args.file, args)
    data = _load(args.file, args, name=str(args.file), with_report=True)  # validate always says how the file was read
    bad_rows = rejected_rows(data.rejected)
    for line in data.report.header_lines():
        print(line)
    print(f"{args.file}: {len(data.events)} rows accepted, {bad_rows} rejected")
    _print_rejected(data.rejected, args)
    _print_mismatches(country_mismatches(data.events))
    if bad_rows and not len(data.events):
        print(f"{args.file}: no row was accepted", file=sys.stderr)
        return EXIT_NOTHING_ACCEPTED
    return 0


def _import(args: argparse.Namespace) -> int:
    fmt, mapping = args.format_in
    loaded = load_events(args.file, name=str(args.file), fmt=fmt, mapping=mapping, date_format=args.date_format,
                         sheet=args.sheet, gazetteers=_gazetteers(args.gazetteer))
    args.output.write_text(to_csv(loaded.events), encoding="utf-8")
    for line in loaded.report.summary_lines():
        print(line)
    if len(loaded.rejected):
        print(f"rejected rows ({loaded.report.rejected}):")
        _print_rejected(loaded.rejected, args)
    print(f"wrote {len(loaded.events)} events to {args.output}")
    return 0


def _export(args: argparse.Namespace) -> int:
    if args.events is not None and (is_url(args.events) or is_store(args.events)):  # a URL can only be a store
        return _export_store(args)
    spec = _filter_spec(args)
    path = Path(args.events if args.events is not None else config.get("EVENTS"))
    if _streams(path, args):
        try:
            return _export_streamed(path, spec, args)
        except NotStreamable as exc:
            print(f"mapdata: note: {exc}; loading the file whole", file=sys.stderr)
    data = _load(args.events, args)
    selected = filter_events(data.events, spec, data.regions)
    args.output.write_bytes(export_bytes(selected, args.format, spec, source_name=data.name,
                                         geo_meta=data.geography.metadata))
    _report_export(args, spec, len(selected), len(data.events), rejected_rows(data.rejected))
    return 0


def _streams(path: Path, args: argparse.Namespace) -> bool:
    """Whether to export ``path`` chunk by chunk: a file larger than the STREAM_MB setting that
    the cache holds no entry for (a cached file loads faster whole; smaller files are loaded
    whole and cached, so that the next export reads the cache)."""
    if not path.is_file() or path.stat().st_size <= config.get("STREAM_MB") * (1 << 20):
        return False
    plain = args.format_in == ("auto", None) and args.date_format is None and args.sheet is None and not args.gazetteer
    return not (plain and cache.has_entry(path))


def _export_streamed(path: Path, spec: FilterSpec, args: argparse.Namespace) -> int:
    """``export`` of a large file read chunk by chunk (:func:`mapdata.stream.export_stream`)."""
    fmt, mapping = args.format_in
    done = export_stream(path, args.output, args.format, spec, chunk_mb=config.get("STREAM_CHUNK_MB"),
                         input_format=fmt, mapping=mapping, date_format=args.date_format, sheet=args.sheet,
                         gazetteers=_gazetteers(args.gazetteer))
    _report_export(args, spec, done.selected, done.events, rejected_rows(done.rejected))
    return 0


def _report_export(args: argparse.Namespace, spec: FilterSpec, selected: int, events: int, rejected: int) -> None:
    """What an export wrote, on stderr: the count, an empty selection said, ``rejected`` invalid rows skipped."""
    if not selected:
        print(f"mapdata: warning: the filter ({spec.describe()}) keeps none of the {events} events; "
              f"{args.output} is a valid, empty {args.format} file", file=sys.stderr)
    skipped = f"; {rejected:,} invalid rows skipped (see `mapdata validate`)" if rejected else ""
    print(f"wrote {selected} of {events} events to {args.output} ({args.format}){skipped}", file=sys.stderr)


def _export_store(args: argparse.Namespace) -> int:
    """``export`` from a store: DuckDB selects the events, only they are read into memory."""
    from .store import open_store

    store = open_store(args.events)
    spec = _filter_spec(args)
    selected = store.select(spec)
    args.output.write_bytes(export_bytes(selected, args.format, spec, source_name=store.name,
                                         geo_meta=store.geography.metadata))
    _report_export(args, spec, len(selected), store.events, sum(s.rejected for s in store.manifest.sources))
    return 0


def _print_mismatches(flagged) -> None:
    if not len(flagged):
        return
    print(f"{len(flagged)} accepted events lie in a region of another country than the one reported "
          "(a check, not an error):")
    reported = country_iso3(flagged["country"])
    for row, iso in zip(flagged.itertuples(index=False), reported):
        where = (f"point in {row.region_name} ({row.region_country}) and also inside the other country's "
                 "boundary layer (the two sources overlap there)") if iso == row.region_country else (
                 f"point in {row.region_name} ({row.region_country})")
        print(f"  {row.event_id}: reported {row.country}; {where}")


def _validate_store(path: Path | str, args: argparse.Namespace) -> int:
    from .store import open_store

    store = open_store(path)
    for source in store.manifest.sources:
        print(f"{source.name}: {source.accepted} rows accepted, {source.rejected} rejected ({source.format}; {source.path})")
    _print_rejected(store.rejected(), args)
    print(f"{path}: {store.events} events in {len(store.manifest.parts)} parts")
    _print_mismatches(store.country_mismatches())
    return 0


def _store_build(args: argparse.Namespace) -> int:
    from .store import build_store

    fmt, mapping = args.format_in
    built = build_store(args.sources, args.output, scheduler=args.scheduler, fmt=fmt, mapping=mapping, geo_dir=args.geo,
                        chunk_mb=args.chunk_mb, progress=lambda p: print(p, file=sys.stderr, flush=True),
                        date_format=args.date_format, sheet=args.sheet, gazetteers=args.gazetteer)
    for path in built.skipped:
        print(f"{path}: already in the store; skipped")
    for source in built.added:
        print(f"{source.path}: {source.rows} rows, {source.accepted} events added, {source.rejected} rejected "
              f"({source.format}, {source.chunks} chunks)")
    print(f"{args.output}: {built.events} events ({built.seconds:.1f} s)")
    return 0


def _build_geo(args: argparse.Namespace) -> int:
    from .geo import build_geo

    for layer, path in build_geo(source_dir=args.source, out_dir=args.out).items():
        print(f"{layer}: {path}")
    return 0


def _geo_build(args: argparse.Namespace) -> int:
    from .geo import build_geography

    options = Options(name_column=args.name_column, id_column=args.id_column, country=args.country,
                      level=args.level, source=args.source, licence=args.licence)
    build = build_geography(args.files, args.output, options, border_files=args.border, tolerance_km=args.tolerance_km)
    for note in build.notes:
        print(note)
    for warning in build.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for line in build.summary_lines():
        print(line)
    print(f"wrote {args.output} in {build.seconds:.1f} s; use it with --geo {args.output} or MAPDATA_GEO_DIR={args.output}")
    return 0


def _assets(args: argparse.Namespace) -> int:
    from .assets import fetch_assets

    files = fetch_assets()
    print(f"{len(files)} asset files ready in {config.get('ASSETS_DIR')}")
    return 0

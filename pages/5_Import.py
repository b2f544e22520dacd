"""Import: bring an ACLED export, a UCDP GED file, a file in our schema or any CSV with a column
mapping (also zipped, or as an .xlsx workbook); see what was detected, accepted, geocoded and
rejected (grouped by reason); then explore it on every page. Boundary files of any country make
the session's own geography, which every page's events are joined to."""

from dataclasses import fields

import streamlit as st

import ui
from mapdata import MapdataError, load_dataset
from mapdata.boundaries import Options
from mapdata.geo import SIDECARS, build_uploaded
from mapdata.config import get as setting
from mapdata.export import rejected_csv
from mapdata.formats import AUTO, FORMATS, choices, parse_mapping
from mapdata.gazetteers import read_gazetteer
from mapdata.rejections import group_rejections, rejected_rows

CHOICES = choices()

ctx = ui.frame("Import your data")
st.header("Import your data")
limit_mb = setting("UPLOAD_LIMIT_MB")
st.caption(f"CSV (or a .zip holding one CSV, or an .xlsx workbook) up to {limit_mb} MB. The file stays in this browser session: no other visitor sees it and "
           "it is not saved on the server. Rows that name a place but have no coordinates are placed with an "
           "offline gazetteer, and the report says how.")

upload = st.file_uploader("Events file", type=["csv", "txt", "tsv", "zip", "xlsx"], key=ui.Key.IMPORT_FILE,
                          max_upload_size=limit_mb)
fmt = st.selectbox("Format", list(CHOICES), format_func=CHOICES.get, key=ui.Key.IMPORT_FORMAT)
date_format = st.text_input("Date format (optional)", key=ui.Key.IMPORT_DATE_FORMAT,
                            placeholder="chosen from the values; or e.g. %d/%m/%Y, %m/%d/%Y, excel")
sheet = st.text_input("Sheet (optional, .xlsx only)", key=ui.Key.IMPORT_SHEET, placeholder="the first sheet") \
    if upload is not None and upload.name.lower().endswith(".xlsx") else ""
takes_mapping = fmt in FORMATS and FORMATS[fmt].takes_mapping
mapping_file = st.file_uploader("Column mapping (.json or .toml)", type=["json", "toml"], key=ui.Key.IMPORT_MAPPING,
                                max_upload_size=limit_mb) \
    if takes_mapping else None
gazetteer_files = st.file_uploader(
    "Gazetteers (optional)", type=["txt", "tsv", "csv"], accept_multiple_files=True, key=ui.Key.IMPORT_GAZETTEERS,
    max_upload_size=limit_mb,
    help="Places for rows without coordinates, used after GeoNames: a GeoNames country dump as GeoNames distributes it "
         "(e.g. BF.txt), or a CSV with name, latitude, longitude and optionally alternative_names, country, admin1; "
         f"up to {limit_mb} MB each.")
if takes_mapping:
    st.caption('Example: `{"columns": {"event_date": "Date", "latitude": "Lat", "longitude": "Lon", '
               '"location": "Place", "event_type": "Type", "source": "Source"}, "defaults": {"geo_precision": "2"}, '
               '"date_format": "%d/%m/%Y"}`')


def _too_large(file, advice: str) -> bool:
    """Refuse a file above the upload limit with one line naming it."""
    if file.size <= limit_mb * 1024 * 1024:
        return False
    st.error(f"{file.name} is {file.size / 1024 / 1024:.1f} MB; the limit is {limit_mb} MB "
             f"(setting MAPDATA_UPLOAD_LIMIT_MB). {advice}")
    return True


def _import() -> None:
    if _too_large(upload, "Split the file or filter it before importing."):
        return
    with st.status(f"Reading, validating, geocoding and joining {upload.name}…", expanded=True) as status:
        try:
            mapping = parse_mapping(mapping_file.getvalue(), mapping_file.name) if mapping_file else None
            chosen = AUTO if takes_mapping and mapping is None else fmt
            if takes_mapping and mapping is None:
                st.warning("No mapping file chosen: the format is detected from the header instead.")
            gazetteers = [read_gazetteer(f.name, content=f.getvalue()) for f in gazetteer_files or ()]
            st.session_state[ui.Key.IMPORT_NOTES] = [problem for g in gazetteers for problem in g.problems]
            st.session_state[ui.Key.UPLOAD] = load_dataset(upload.getvalue(), name=upload.name, fmt=chosen, mapping=mapping,
                                                           date_format=date_format.strip() or None,
                                                           sheet=sheet.strip() or None, gazetteers=gazetteers,
                                                           geography=ui.geography())
            st.session_state[ui.Key.SOURCE] = "upload" if st.session_state.get(ui.Key.SOURCE) == "upload" else "merged"
        except MapdataError as exc:
            status.update(label=f"{upload.name} could not be imported", state="error")
            st.error(str(exc))
            return
        status.update(label=f"{upload.name} imported", state="complete", expanded=False)
    st.rerun()


if upload is not None and st.button("Check and import", type="primary"):
    _import()

data = st.session_state.get(ui.Key.UPLOAD)
if data is not None:
    report = data.report
    st.subheader(f"Report for {data.name}")
    for line in report.header_lines() if report is not None else []:
        st.write(line)
    for note in st.session_state.get(ui.Key.IMPORT_NOTES, []):
        st.warning(note)
    cols = st.columns(4)
    cols[0].metric("Rows read", f"{report.rows:,}" if report else "—")
    cols[1].metric("Accepted", f"{len(data.events):,}")
    cols[2].metric("Rejected", f"{rejected_rows(data.rejected):,}")
    cols[3].metric("Geocoded", f"{report.geocoded:,}" if report else "—")

    def _choose_source() -> None:
        st.session_state[ui.Key.SOURCE] = st.session_state[ui.Key.DATA_SOURCE]

    st.session_state[ui.Key.DATA_SOURCE] = st.session_state.get(ui.Key.SOURCE, "merged")
    st.radio("Explore on every page", list(ui.SOURCES), format_func=ui.SOURCES.get, key=ui.Key.DATA_SOURCE,
             on_change=_choose_source, horizontal=True)

    st.subheader("Preview of the accepted events")
    st.dataframe(data.events.drop(columns="geometry").head(50), hide_index=True, width="stretch")
    if len(data.rejected):
        st.subheader("Rejected rows, by reason")
        st.dataframe(group_rejections(data.rejected), hide_index=True, width="stretch")
        with st.expander(f"Every rejected row ({len(data.rejected):,})"):
            st.dataframe(data.rejected, hide_index=True, width="stretch")
        st.download_button("Download the rejected rows (CSV)", rejected_csv(data.rejected),
                           file_name=f"rejected-{data.name}.csv", mime="text/csv", on_click="ignore")
    if report is not None and not report.geocoding.empty:
        st.subheader("Geocoding")
        st.caption("Every row the offline gazetteer worked on: matched places get precision 2, district reference "
                   "points precision 3; ambiguous and unmatched names were left without coordinates and rejected.")
        st.dataframe(report.geocoding, hide_index=True, width="stretch")

st.subheader("Your own geography")
st.caption(f"Administrative-boundary files of any country, up to {limit_mb} MB each: geoBoundaries GeoJSON or TopoJSON "
           "(with its -metaData.json), GADM GeoPackage or zipped shapefile, HDX COD-AB zipped shapefile, or any polygon "
           "layer (name its columns below). Several countries and levels can be combined. They become this session's "
           "geography, built as `mapdata geo build` builds one: regions, country outlines, the land borders between "
           "neighbouring countries and their credits. The app's events and your file are joined to it on every page; "
           "like an events file, it stays in this browser session.")
geo_files = st.file_uploader("Boundary files", accept_multiple_files=True, key=ui.Key.GEO_FILES, max_upload_size=limit_mb,
                             type=["geojson", "json", "topojson", "gpkg", "zip", "shp", *(s.lstrip(".") for s in SIDECARS)])
with st.expander("When the files do not say (optional)"):
    option_cols = st.columns(3)
    for i, option in enumerate(fields(Options)):
        option_cols[i % 3].text_input(f"{option.name.replace('_', ' ').capitalize()} (--{option.name.replace('_', '-')})",
                                      key=f"{ui.Key.GEO_OPTION}{option.name}")


def _build_geography() -> None:
    if any(_too_large(f, "Use a simplified file (geoBoundaries publishes one) or fewer levels.") for f in geo_files):
        return
    names = ", ".join(f.name for f in geo_files)
    options = Options(**{o.name: st.session_state.get(f"{ui.Key.GEO_OPTION}{o.name}", "").strip() or None
                         for o in fields(Options)})
    with st.status(f"Building a geography from {names}…", expanded=True) as status:
        try:
            geography, build = build_uploaded([(f.name, f.getvalue()) for f in geo_files], options)
        except MapdataError as exc:
            status.update(label="The boundary files could not be used", state="error")
            st.error(str(exc))
            return
        status.update(label=f"Geography built from {names}", state="complete", expanded=False)
    ui.use_geography(geography)
    st.session_state[ui.Key.GEO_BUILD] = (names, build.notes, build.warnings, build.summary_lines())
    st.rerun()


def _shipped_geography() -> None:
    ui.use_geography(None)
    st.session_state[ui.Key.GEO_BUILD] = None


if geo_files and st.button("Build and use this geography", type="primary"):
    _build_geography()
built = st.session_state.get(ui.Key.GEO_BUILD)
if built is not None and st.session_state.get(ui.Key.GEOGRAPHY) is not None:
    names, notes, warnings, summary = built
    st.success(f"This session uses the geography built from {names}: {ctx.geography.metadata['name']}.")
    for line in summary + notes:
        st.write(line)
    for warning in warnings:
        st.warning(warning)
    st.button("Use the shipped geography again", on_click=_shipped_geography)
ui.credits()

"""mapdata: validated, region-joined, filterable and exportable conflict-incident data.

The public API follows the data flow: load → validate → join → filter → export.
This package never imports streamlit; the app's pages call it.
"""

from .dataset import Dataset, load_dataset
from .errors import FileFormatError, FilterError, GeoDataError, MapdataError, MissingColumnsError
from .export import export_bytes, to_csv, to_geojson, to_gpkg
from .filters import FilterSpec, filter_events, resolve_regions
from .geo import build_geo, build_geography, load_border, load_countries, load_metadata, load_regions
from .join import country_mismatches, join_regions
from .load import Loaded, load_events

__all__ = [
    "Dataset",
    "FileFormatError",
    "FilterError",
    "FilterSpec",
    "GeoDataError",
    "Loaded",
    "MapdataError",
    "MissingColumnsError",
    "build_geo",
    "build_geography",
    "country_mismatches",
    "export_bytes",
    "filter_events",
    "join_regions",
    "load_border",
    "load_countries",
    "load_dataset",
    "load_events",
    "load_metadata",
    "load_regions",
    "resolve_regions",
    "to_csv",
    "to_geojson",
    "to_gpkg",
]

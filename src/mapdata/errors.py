"""The library's own error types. Row-level problems never raise; these are for whole files
and bad requests, with messages a person can act on."""


class MapdataError(Exception):
    """Base class for every error the library raises on purpose."""


class FileFormatError(MapdataError):
    """A file could not be read as an events table (empty, not text, broken structure)."""


class MissingColumnsError(FileFormatError):
    """Required columns are missing; the message names them."""


class FilterError(MapdataError):
    """A filter could not be applied, e.g. an unknown region name or a bad date."""


class GeoDataError(MapdataError):
    """A boundary layer is missing or unusable."""


class AmbiguousDatesError(FileFormatError):
    """A date column fits two forms that read its values into different days (dd/mm vs mm/dd)."""

"""mapdata: validated, region-joined, filterable and exportable conflict-incident data.

The public API follows the data flow: load → validate → join → filter → export.
This package never imports streamlit; the app's pages call it.
"""


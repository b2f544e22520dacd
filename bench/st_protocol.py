"""A minimal Streamlit client that speaks the browser's websocket protocol, without a browser.

It opens ``/_stcore/stream`` like the web frontend does, asks for script runs with the same
``BackMsg`` protobufs (query string, page, widget values) and reads the ``ForwardMsg`` replies:
the elements each run draws (widget ids and labels, metric values, exception boxes), the
query string the app writes and the end of the run. The load test uses it to put many sessions
on the server without spending the machine's CPU on rendering them (see ``load_test.py``).

It sends what the frontend would send for the actions the load test uses; it does not render
components, so the one extra run a browser's map component asks for after drawing is not sent.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

_WIDGET_TYPES = {"number_input", "multiselect", "button", "slider", "toggle", "checkbox", "segmented_control",
                 "button_group", "selectbox", "date_input", "text_input"}


@dataclass
class Run:
    """What one script run drew, as far as the load test needs it."""

    status: int | None = None
    metrics: dict[str, str] = field(default_factory=dict)
    widgets: dict[str, str] = field(default_factory=dict)
    """label → widget id"""
    exceptions: list[str] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0

    @property
    def finished(self) -> bool:
        return self.status is not None


class Client:
    """One Streamlit session over one websocket."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.origin = base_url.rstrip("/")
        self.ws_url = f"ws://{parts.netloc}/_stcore/stream"
        self.socket = None
        self.query_string = ""
        self.page_hash = ""
        self.pages: dict[str, str] = {}
        """url path name ("" for the entry page) → page script hash"""
        self.widgets: dict[str, str] = {}
        self._reader: asyncio.Task | None = None
        self._run: Run | None = None
        self._done = asyncio.Event()

    async def connect(self) -> None:
        self.socket = await websockets.connect(self.ws_url, subprotocols=["streamlit"], origin=self.origin,
                                               max_size=None, compression=None)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self.socket is not None:
            await self.socket.close()

    async def rerun(self, query_string: str | None = None, page: str | None = None, widgets: list | None = None,
                    timeout: float = 10.0) -> Run:
        """Ask for a run (as the frontend does on a page load or a widget change); wait for its end."""
        msg = BackMsg()
        state = msg.rerun_script
        if query_string is not None:  # as the browser's address bar: kept until the app changes it
            self.query_string = query_string
        state.query_string = self.query_string
        if page is not None:
            if page in self.pages:
                state.page_script_hash = self.pages[page]
            else:
                state.page_name = page
        else:
            state.page_script_hash = self.page_hash
        for widget in widgets or []:
            state.widget_states.widgets.append(widget)
        self._run, self._done = Run(), asyncio.Event()
        await self.socket.send(msg.SerializeToString())
        await asyncio.wait_for(self._done.wait(), timeout)
        return self._run

    async def _read(self) -> None:
        async for data in self.socket:
            forward = ForwardMsg()
            forward.ParseFromString(data)
            self._handle(forward, len(data))

    def _handle(self, msg: ForwardMsg, size: int) -> None:
        run = self._run
        kind = msg.WhichOneof("type")
        if run is not None:
            run.messages += 1
            run.bytes += size
        if kind == "new_session":
            session = msg.new_session
            self.page_hash = session.page_script_hash
            self.pages = {page.url_pathname: page.page_script_hash for page in session.app_pages}
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash
            self.pages = {page.url_pathname: page.page_script_hash for page in msg.navigation.app_pages}
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "delta" and run is not None and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element, run)
        elif kind == "script_finished" and run is not None:
            run.status = msg.script_finished
            self._done.set()

    def _element(self, element, run: Run) -> None:
        kind = element.WhichOneof("type")
        if kind == "metric":
            run.metrics[element.metric.label] = element.metric.body
        elif kind == "exception":
            run.exceptions.append(element.exception.message)
        elif kind in _WIDGET_TYPES:
            widget = getattr(element, kind)
            if getattr(widget, "label", ""):
                run.widgets[widget.label] = widget.id
                self.widgets[widget.label] = widget.id


def number(widget_id: str, value: int):
    """The widget state an integer number_input sends."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=widget_id, int_value=value)


def choices(widget_id: str, values: list[str]):
    """The widget state a multiselect sends (its options' labels)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    state = WidgetState(id=widget_id)
    state.string_array_value.data.extend(values)
    return state


def click(widget_id: str):
    """The widget state a button sends when clicked."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    return WidgetState(id=widget_id, trigger_value=True)


async def _demo(url: str) -> None:
    client = Client(url)
    await client.connect()
    started = time.perf_counter()
    run = await client.rerun(query_string="", page="")
    print(f"first run {time.perf_counter() - started:.2f} s, {run.messages} messages, {run.bytes:,} bytes, "
          f"metrics {run.metrics}, pages {sorted(client.pages)}")
    started = time.perf_counter()
    run = await client.rerun(widgets=[number(client.widgets["Minimum fatalities"], 1)])
    print(f"fat_min=1 run {time.perf_counter() - started:.2f} s, metrics {run.metrics}, query {client.query_string!r}")
    await client.close()


if __name__ == "__main__":
    import sys

    asyncio.run(_demo(sys.argv[1]))

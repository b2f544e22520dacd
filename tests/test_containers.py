"""mapdata.containers: a zip with one CSV and xlsx workbooks become CSV text; mapdata.charsets:
the encodings files come in."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from mapdata.charsets import UTF8, UTF8_BOM, UTF16, WINDOWS_1252, to_utf8
from mapdata.containers import unpack
from mapdata.errors import FileFormatError
from workbooks import xlsx_bytes


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_plain_files_pass_through(data_dir):
    path = data_dir / "events_valid.csv"
    assert unpack(path, "x").data == path and unpack(b"a,b\n", "x").container == ""


def test_a_zip_with_one_csv_is_read_from_the_zip(data_dir):
    text = (data_dir / "events_valid.csv").read_bytes()
    unpacked = unpack(zipped({"readme/": b"", "events.csv": text, "__MACOSX/._events.csv": b"x"}), "dl.zip")
    assert unpacked.data == text and unpacked.container == "zip archive, member events.csv"


def test_a_zip_with_several_or_no_csv_files_is_one_clear_error():
    with pytest.raises(FileFormatError, match="dl.zip: a zip file must hold exactly one CSV file; it holds 2"):
        unpack(zipped({"a.csv": b"x", "b.csv": b"y"}), "dl.zip")
    with pytest.raises(FileFormatError, match="it holds 0"):
        unpack(zipped({"a.pdf": b"x"}), "dl.zip")


def test_xlsx_first_sheet_or_a_named_one_as_csv_text():
    book = xlsx_bytes({"Data": [["event_id", "fatalities", "lat", "when"], ["E-1", 3, 40.5, "9-May-20"], ["E-2", None, 41, ""]],
                       "Notes": [["note"], ["second sheet"]]})
    first = unpack(book, "book.xlsx")
    assert first.data == b"event_id,fatalities,lat,when\nE-1,3,40.5,9-May-20\nE-2,,41,\n"
    assert first.container == "xlsx workbook, first sheet 'Data' of 2"
    assert unpack(book, "book.xlsx", sheet="Notes").data == b"note\nsecond sheet\n"
    with pytest.raises(FileFormatError, match="no sheet 'Other' in the workbook; its sheets: Data, Notes"):
        unpack(book, "book.xlsx", sheet="Other")
    with pytest.raises(FileFormatError, match="not an .xlsx workbook"):
        unpack(b"a,b\n", "x.csv", sheet="Data")


@pytest.mark.parametrize(("raw", "encoding"), [
    ("Kəlbəcər,Ağdam\n".encode("utf-8"), UTF8),
    (b"\xef\xbb\xbf" + "Kəlbəcər,Ağdam\n".encode("utf-8"), UTF8_BOM),
    ("Kəlbəcər,Ağdam\n".encode("utf-16"), UTF16),
])
def test_unicode_encodings(raw, encoding):
    assert to_utf8(raw, "x") == ("Kəlbəcər,Ağdam\n".encode("utf-8"), encoding)


def test_windows_1252_is_converted(data_dir):
    raw = (data_dir / "formats" / "acled_pre2019_cp1252.csv").read_bytes()
    text, encoding = to_utf8(raw, "old.csv")
    assert encoding == WINDOWS_1252
    assert "‘not a real event’, Café." in text.decode("utf-8") and "–" in text.decode("utf-8")


def test_other_code_pages_and_binary_stay_errors(data_dir):
    with pytest.raises(FileFormatError, match="not UTF-8.*another legacy code page"):
        to_utf8((data_dir / "bad" / "06_windows_1251.csv").read_bytes(), "cyr.csv")
    with pytest.raises(FileFormatError, match="not UTF-8"):
        to_utf8((data_dir / "bad" / "04_binary.png").read_bytes(), "img.png")
    with pytest.raises(FileFormatError, match="NUL"):
        to_utf8(b"event_id,x\n\x00\x01", "nul.csv")


def test_a_damaged_zip_is_one_clear_error():
    data = bytearray(zipped({"events.csv": random.Random(1).randbytes(5000)}))  # incompressible: 5,000 bytes stored
    start = data.find(b"events.csv") + len(b"events.csv")
    data[start + 5:start + 40] = b"\xff" * 35  # the compressed bytes of the member
    with pytest.raises(FileFormatError, match="dl.zip: events.csv in the zip file cannot be read"):
        unpack(bytes(data), "dl.zip")


def test_a_zip_member_past_the_unzipped_limit_is_refused_before_it_is_read(monkeypatch):
    bomb = zipped({"events.csv": b"event_id\n" + b"0" * 3_000_000})  # 3 MB of one byte: a few KB zipped
    assert len(bomb) < 20_000
    monkeypatch.setenv("MAPDATA_MAX_UNZIPPED_MB", "2")
    with pytest.raises(FileFormatError, match=r"dl.zip: events.csv in the zip file unpacks to more than 2 MB \(MAPDATA_MAX_UNZIPPED_MB\)"):
        unpack(bomb, "dl.zip")
    monkeypatch.setenv("MAPDATA_MAX_UNZIPPED_MB", "4")
    assert len(unpack(bomb, "dl.zip").data) == 3_000_009

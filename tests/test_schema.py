"""The event schema (mapdata.schema): the one URL rule the loader and the app share."""

from __future__ import annotations

import pandas as pd

from mapdata import schema
from mapdata.load import load_events


def test_is_web_url_agrees_with_the_loader_on_every_url(data_dir):
    path = data_dir / "urls_general.csv"
    urls = pd.read_csv(path, dtype=str, keep_default_na=False)["source_url"]
    rejected = load_events(path).rejected
    rejected_urls = set(rejected.loc[rejected["column"] == "source_url", "value"])
    for url in urls[urls != ""]:
        assert schema.is_web_url(url) == (url not in rejected_urls), url


def test_is_web_url_refuses_other_schemes_and_whitespace():
    assert schema.is_web_url("HTTPS://example.org/a?b=1")
    for url in ("javascript:alert(1)", "ftp://example.org", "https://", "https://a b", "http://x\n", " http://x"):
        assert not schema.is_web_url(url), url

"""`export --embed-media`: public images inlined as data URIs, everything else refused and reported."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from stories.formats import export_story
from stories.media import MediaError, MediaFetcher
from tests.archive.conftest import curated_story


def test_images_from_a_private_address_are_refused_by_default(image_server: str) -> None:
    with pytest.raises(MediaError, match=r"127\.0\.0\.1 resolves to a loopback address"):
        MediaFetcher().data_uri(f"{image_server}/a.png")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/big.png", "larger than 100,000 bytes"),
        ("/page", "not a raster image (text/html)"),
        ("/missing.png", "HTTP 404"),
    ],
)
def test_big_files_pages_and_missing_images_are_refused(image_server: str, path: str, reason: str) -> None:
    fetcher = MediaFetcher(max_bytes=100_000, allow_private=True)
    with pytest.raises(MediaError, match=re.escape(reason)):
        fetcher.data_uri(image_server + path)


def test_only_http_urls_are_fetched() -> None:
    with pytest.raises(MediaError, match="not an http"):
        MediaFetcher(allow_private=True).data_uri("file:///etc/passwd")


def test_an_embedded_export_inlines_every_image_and_keeps_the_original_urls_in_its_archive(
    db: Any, image_server: str
) -> None:
    story = curated_story(db, image_base=image_server)
    exported = export_story(db, story, "html", fetcher=MediaFetcher(allow_private=True))
    assert exported.media_report == []
    page, archive = exported.text.split('id="tagstory-archive">')
    assert f'src="{image_server}' not in page
    assert page.count('src="data:image/png;base64,') == 6 + 3  # six avatars, three photos
    assert f"{image_server}/photo1.png" in archive


def test_the_command_reports_what_could_not_be_embedded_and_leaves_it_out(
    app: Any, db: Any, runner: Any, image_server: str, tmp_path: Path
) -> None:
    curated_story(db, image_base=image_server)
    output = tmp_path / "story.html"
    result = runner.invoke(args=["export", "curated", "-o", str(output), "--embed-media"])
    assert result.exit_code == 0, result.output
    assert "9 image(s) could not be embedded (left out of the page):" in result.output
    assert (
        f"element 2, avatar: {image_server}/avatar0.png: 127.0.0.1 resolves to a loopback address"
        in result.output
    )
    page = output.read_text(encoding="utf-8").split('id="tagstory-archive">')[0]
    assert f'src="{image_server}' not in page
    missing = (
        f'<a class="media-missing" href="{image_server}/photo1.png" rel="noopener noreferrer">Photo 1</a>'
    )
    assert missing in page
    app.config["FETCH_ALLOW_PRIVATE"] = True
    result = runner.invoke(args=["export", "curated", "-o", str(output), "--embed-media"])
    assert "could not be embedded" not in result.output
    assert output.read_text(encoding="utf-8").count('src="data:image/png;base64,') == 9

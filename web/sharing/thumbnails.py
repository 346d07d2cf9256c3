"""A story cover's pixel size, for oEmbed's thumbnail (the spec wants its URL, width and height
together, or none of them). The cover is a URL a curator typed: it is fetched once, under the
export's address policy and size cap (stories.media), and only its header is read."""

from __future__ import annotations

import io
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from PIL import Image, UnidentifiedImageError

from stories.media import MediaError
from web.archive.commands import media_fetcher

KEEP_SECONDS = 3600.0  # a measured size is believed this long
RETRY_SECONDS = 300.0  # a cover that could not be measured is tried again after this
MAX_ENTRIES = 512
FETCH_SECONDS = 5.0  # an oEmbed answer waits at most this long for a cover

_sizes: OrderedDict[str, tuple[float, tuple[int, int] | None]] = OrderedDict()


def _measure(url: str, settings: Mapping[str, Any]) -> tuple[int, int] | None:
    fetcher = media_fetcher(settings)
    fetcher.timeout = FETCH_SECONDS
    try:
        _, body = fetcher.image(url)
        with Image.open(io.BytesIO(body)) as picture:
            return picture.size
    except (MediaError, UnidentifiedImageError, OSError, ValueError):
        return None
    finally:
        fetcher.session.close()


def cover_size(url: str, settings: Mapping[str, Any]) -> tuple[int, int] | None:
    """(width, height) of the image at `url`, or None when it cannot be fetched or read."""
    now = time.monotonic()
    found = _sizes.get(url)
    if found is None or found[0] < now:
        size = _measure(url, settings)
        found = (now + (KEEP_SECONDS if size else RETRY_SECONDS), size)
        _sizes[url] = found
        while len(_sizes) > MAX_ENTRIES:
            _sizes.popitem(last=False)
    _sizes.move_to_end(url)
    return found[1]

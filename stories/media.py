"""Images downloaded at export time and inlined as data URIs, so an export makes no request.

Only public http(s) addresses are fetched: every request and redirect hop follows the
address policy every network fetch shares (aggregator.netpolicy; `allow_private` is the
setting FETCH_ALLOW_PRIVATE), and each image has a size cap. What could not be fetched
is reported, and left out of the page. The pictures this server stores itself (a wall
form's, `/uploads/<name>`) are read from their folder instead (`LocalPictures`): the
policy would refuse this server's own address.
"""

from __future__ import annotations

import base64
import copy
import mimetypes
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from aggregator import netpolicy

MAX_REDIRECTS = 3


class MediaError(Exception):
    """An image that could not be embedded; the message says why."""


@dataclass(frozen=True)
class LocalPictures:
    """Pictures this server serves from a folder of its own: `route` + a name `names` matches."""

    folder: Path
    route: str  # the URL path they are served under, e.g. "/uploads/"
    names: re.Pattern[str]  # the names stored there: no `/`, no `..`, nothing else is looked up

    def read(self, url: str, max_bytes: int) -> tuple[str, bytes] | None:
        """The picture `url` names in the folder (type, bytes); None when the folder has no such file.

        Only a regular file of the folder itself is read: a symbolic link is never followed.
        Raises MediaError.
        """
        parts = urlsplit(url)
        name = parts.path.removeprefix(self.route)
        if parts.scheme not in ("http", "https") or name == parts.path or not self.names.fullmatch(name):
            return None
        kind = mimetypes.guess_type(name)[0] or ""
        if not kind.startswith("image/") or kind == "image/svg+xml":
            raise MediaError(f"not a raster image ({kind or 'no content type'})")
        try:
            descriptor = os.open(self.folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return None  # another server's picture, at an address like ours: fetched as any other
        except OSError as error:
            raise MediaError(f"not a file of the uploads folder ({error.strerror})") from error
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise MediaError("not a file of the uploads folder")
            body = file.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise MediaError(f"larger than {max_bytes:,} bytes")
        return kind, body


@dataclass
class MediaFetcher:
    """Downloads images into data URIs, once per URL, within the size cap."""

    max_bytes: int = 5_000_000
    allow_private: bool = False
    timeout: float = 10.0
    session: requests.Session = field(default_factory=requests.Session)
    cache: dict[str, str | MediaError] = field(default_factory=dict)
    user_agent: str | None = None  # aggregator.sources.http.user_agent of the server's settings
    local: LocalPictures | None = None  # this server's own pictures, read from their folder

    def __post_init__(self) -> None:
        netpolicy.guard(self.session, self.allow_private)
        if self.user_agent:
            self.session.headers["User-Agent"] = self.user_agent

    def data_uri(self, url: str) -> str:
        """The image at `url` as a data URI; raises MediaError."""
        if url not in self.cache:
            try:
                self.cache[url] = self._download(url)
            except MediaError as error:
                self.cache[url] = error
        found = self.cache[url]
        if isinstance(found, MediaError):
            raise found
        return found

    def _download(self, url: str) -> str:
        kind, body = self.image(url)
        return f"data:{kind};base64,{base64.b64encode(body).decode()}"

    def image(self, url: str) -> tuple[str, bytes]:
        """The raster image at `url`: its content type and bytes (not cached); raises MediaError."""
        if self.local and (found := self.local.read(url, self.max_bytes)):
            return found
        for _ in range(MAX_REDIRECTS + 1):
            if urlsplit(url).scheme not in ("http", "https"):
                raise MediaError("not an http(s) URL")
            try:
                response = self.session.get(url, timeout=self.timeout, stream=True, allow_redirects=False)
            except netpolicy.AddressRefused as error:
                raise MediaError(str(error)) from error
            except requests.RequestException as error:
                raise MediaError(f"download failed: {type(error).__name__}") from error
            with response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("Location", ""))
                    continue
                if response.status_code != 200:
                    raise MediaError(f"HTTP {response.status_code}")
                kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if not kind.startswith("image/") or kind == "image/svg+xml":
                    raise MediaError(f"not a raster image ({kind or 'no content type'})")
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise MediaError(f"larger than {self.max_bytes:,} bytes")
                return kind, bytes(body)
        raise MediaError("too many redirects")


def embed_media(
    elements: list[dict[str, Any]], fetcher: MediaFetcher
) -> tuple[list[dict[str, Any]], list[str]]:
    """A copy of `elements` whose avatars and images are data URIs, and a report of the failures.

    An image that could not be fetched is marked `missing` (shown as a link, not loaded);
    a missing avatar is dropped.
    """
    embedded = copy.deepcopy(elements)
    report: list[str] = []

    def inline(url: str, what: str) -> str | None:
        try:
            return fetcher.data_uri(url)
        except MediaError as error:
            report.append(f"{what}: {url}: {error}")
            return None

    for number, element in enumerate(embedded, start=1):
        item = element.get("item")
        if not item:
            continue
        author = item["author"]
        if author.get("avatar"):
            author["avatar"] = inline(author["avatar"], f"element {number}, avatar")
        for media in item["media"]:
            data = inline(
                media.get("preview") or media["url"], f"element {number}, {media.get('type', 'image')}"
            )
            media["preview"] = data
            media["missing"] = data is None
    return embedded, report

"""Pictures sent through the wall's form: checked by their content, re-encoded, stored under a
random name. Neither the file name nor the content type the browser sent is trusted; the
re-encoding keeps only the pixels (no EXIF, GPS or comments), turned upright first."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")  # what Pillow must find in the bytes
MAX_PIXELS = 40_000_000  # a bigger picture (or a decompression bomb) is refused before decoding
MAX_SIDE = 2048  # longest side stored: large on a wall, small on disk
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")
MIMETYPES = {"jpg": "image/jpeg", "png": "image/png"}
ROUTE = "/uploads/"  # where the pictures are served (web/participate/pages.py), by their stored name


def uploads_folder(config: Mapping[str, Any]) -> Path:
    """UPLOADS_FOLDER, or `uploads` beside the database: the pictures live with the data."""
    folder = config["UPLOADS_FOLDER"]
    return Path(folder) if folder else Path(config["DATABASE"]).parent / "uploads"


class ImageRefused(ValueError):
    """Bytes that are not a picture this form takes; the message is shown next to the field."""


def store_picture(data: bytes, folder: Path) -> str:
    """Re-encode the picture in `data` into `folder`; return its stored name (32 hex digits + .jpg/.png)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in FORMATS:
                raise ImageRefused("send a JPEG, PNG, GIF or WebP picture")
            if opened.width * opened.height > MAX_PIXELS:
                raise ImageRefused(f"the picture has more than {MAX_PIXELS // 1_000_000} million pixels")
            opened.load()
            picture = ImageOps.exif_transpose(opened)
    except ImageRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as error:
        raise ImageRefused("this file is not a picture that can be read (JPEG, PNG, GIF or WebP)") from error
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    picture.info = {}  # nothing but the pixels goes on: no EXIF, ICC, XMP or comment
    transparent = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    extension = "png" if transparent else "jpg"
    name = f"{secrets.token_hex(16)}.{extension}"
    folder.mkdir(parents=True, exist_ok=True)
    if transparent:
        picture.convert("RGBA").save(folder / name, "PNG", optimize=True)
    else:
        picture.convert("RGB").save(folder / name, "JPEG", quality=85, optimize=True)
    return name

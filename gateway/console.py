"""The staff console (issue 11): plain ES modules and CSS under gateway/console/, served by the
gateway on the API's own origin (no CDN, no build step).

``asset_response`` is the one place that maps a request path to a file: it refuses anything
that would leave the console's folder (``..``, absolute paths, backslashes, NUL), answers the
file's own content type, and cache headers: ``no-cache`` (revalidate with the ETag each time)
for the page, the scripts and the catalogues, so a new release is seen at once; a day for the
vendored library, which changes only with its version."""

from __future__ import annotations

import hashlib
import mimetypes
from functools import lru_cache
from pathlib import Path

from pydantic import RootModel
from werkzeug.wrappers import Request, Response

from gateway.edge import ApiError, route

ROOT = Path(__file__).with_name("console")
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".md": "text/plain; charset=utf-8",
}
LONG_LIVED = ("vendor/",)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'",
}


def resolve(relative: str, root: Path = ROOT) -> Path | None:
    """The file ``relative`` names inside ``root``, or None when it is not one (missing, a
    folder, or a path that would leave ``root``)."""
    if not relative or "\\" in relative or "\x00" in relative or relative.startswith("/"):
        return None
    if any(part in ("", ".", "..") for part in relative.split("/")):
        return None
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        return None
    return target


@lru_cache(maxsize=256)
def _load(path: Path, mtime_ns: int) -> tuple[bytes, str]:
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:32]


def asset_response(request: Request, relative: str, root: Path = ROOT) -> Response:
    """The file as a response (304 when the client's ETag matches), or a 404 problem."""
    path = resolve(relative, root)
    if path is None:
        raise ApiError(404, f"no console file {relative!r}")
    data, digest = _load(path, path.stat().st_mtime_ns)
    kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    cache = ("public, max-age=86400" if relative.startswith(LONG_LIVED)
             else "no-cache")
    headers = {**HEADERS, "Cache-Control": cache, "ETag": f'"{digest}"'}
    if request.if_none_match.contains(digest):
        return Response(status=304, headers=headers)
    return Response(data, status=200, headers=headers,
                    content_type=kind or "application/octet-stream")


class MessageCatalogue(RootModel[dict[str, str]]):
    """A console message catalogue (i18n/<language>.json): message key → text."""


class ConsoleAssets:
    """The console's page and files, mixed into GatewayService (nameko finds entrypoints on the
    class's members, inherited ones included)."""

    @route("GET", "/", auth=False, produces=("text/html",),
           summary="The staff console (a single page; sign in inside it)")
    def console_page(self, request: Request) -> Response:
        return asset_response(request, "index.html")

    @route("GET", "/console/<path:asset>", auth=False,
           produces=("text/javascript", "text/css", "application/json"), reply=MessageCatalogue,
           summary="The console's scripts, styles, message catalogues and vendored library")
    def console_asset(self, request: Request, asset: str) -> Response:
        return asset_response(request, asset)

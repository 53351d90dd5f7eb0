"""A URL's origin, as the web means it (RFC 6454): what DPoP nonces are kept per,
what error messages name instead of a full URL, what an Origin header is."""

from __future__ import annotations

from urllib.parse import urlsplit


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of the URL, spelled as given."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"

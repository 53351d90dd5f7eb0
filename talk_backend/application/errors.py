"""Failures of the outside world that ports report. They are not broken rules (those
are domain errors): the request may have been fine, and Bluesky's side failed it."""


class ExternalServiceError(Exception):
    """Base of the failures an adapter reports about a server it had to ask."""


class UpstreamFailure(ExternalServiceError):
    """A server on Bluesky's side (PDS, authorization server, resolver, PLC directory)
    could not be reached or answered with something unusable. Later may work."""


class UnsafeUrl(ExternalServiceError):
    """A URL taken from someone else's document leads where this server must not go
    (not https, credentials in it, or a non-public address)."""

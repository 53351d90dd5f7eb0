import pytest

from talk_backend.domain.errors import InvalidDid, InvalidHandle
from talk_backend.domain.identity import Did, Handle, VerifiedIdentity, parse_account


class TestDid:
    @pytest.mark.parametrize(
        "raw",
        [
            "did:plc:z72i7hdynmk6r22z27h6tvur",
            "did:web:example.com",
            "did:web:example.com%3A8080",
        ],
    )
    def test_accepts_plc_and_web(self, raw):
        assert Did.parse(raw).value == raw.lower()

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("did:plc:short", "not a valid did:plc"),
            ("did:plc:Z72I7HDYNMK6R22Z27H6TVUR", "not a valid did:plc"),
            ("did:key:z6Mkabc", "only did:plc and did:web"),
            ("did:web:example.com/path", "not a valid did:web"),
            ("alice.bsky.social", "not a DID"),
            ("", "not a DID"),
            ("did:plc:" + "a" * 3000, "longer than"),
            (" did:plc:z72i7hdynmk6r22z27h6tvur ", "whitespace"),
            ("did:plc:z72i7hdynmk6r22z27h6tvur\u3000", "whitespace"),
        ],
    )
    def test_rejects_with_reason(self, raw, message):
        with pytest.raises(InvalidDid, match=message):
            Did.parse(raw)


class TestHandle:
    @pytest.mark.parametrize(
        ("raw", "normalised"),
        [
            ("alice.bsky.social", "alice.bsky.social"),
            ("@Alice.BSKY.social", "alice.bsky.social"),
            ("xn--ls8h.test", "xn--ls8h.test"),
            ("a.b-c.example-tld", "a.b-c.example-tld"),
        ],
    )
    def test_normalises(self, raw, normalised):
        assert Handle.parse(raw).value == normalised

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("", "empty"),
            ("@", "empty"),
            ("nodot", "not a valid handle"),
            ("-bad.example.com", "not a valid handle"),
            ("alice.bsky.123", "not a valid handle"),
            ("alice..bsky.social", "not a valid handle"),
            ("alice.local", "reserved top-level domain"),
            ("alice.onion", "reserved top-level domain"),
            ("a" * 250 + ".com", "longer than"),
            # Refused, not trimmed: the schema's pattern is what the server accepts.
            ("  xn--ls8h.test ", "whitespace"),
            ("alice.test\u3000", "whitespace"),
            ("\u00a0alice.test", "whitespace"),
            ("alice.test\u2028", "whitespace"),
            ("\talice.test", "whitespace"),
        ],
    )
    def test_rejects_with_reason(self, raw, message):
        with pytest.raises(InvalidHandle, match=message):
            Handle.parse(raw)

    def test_invalid_marker_never_matches(self):
        marker = Handle.parse("handle.invalid")
        assert marker.is_invalid_marker
        assert not marker.matches(Handle.parse("handle.invalid"))
        assert not Handle.parse("alice.test").matches(marker)

    def test_matches_same_normalised_handle(self):
        assert Handle.parse("@Alice.Test").matches(Handle.parse("alice.test"))
        assert not Handle.parse("alice.test").matches(None)


def test_verified_identity_drops_invalid_marker():
    did = Did.parse("did:plc:z72i7hdynmk6r22z27h6tvur")
    assert VerifiedIdentity(did, Handle.parse("handle.invalid")).verified_handle is None
    assert VerifiedIdentity(did, Handle.parse("a.test")).verified_handle == Handle("a.test")


def test_parse_account_tells_did_from_handle():
    assert isinstance(parse_account("did:plc:z72i7hdynmk6r22z27h6tvur"), Did)
    assert isinstance(parse_account("@alice.test"), Handle)

"""The identifier rules at their edges: exact lengths, every reserved TLD, the did:plc
alphabet. These are constants mutation testing cannot reach, so they are named here."""

import pytest

from talk_backend.application.errors import AuthorizationRefused
from talk_backend.domain.errors import InvalidDid, InvalidHandle
from talk_backend.domain.identity import Did, Handle

RESERVED = ["alt", "arpa", "example", "internal", "invalid", "local", "localhost", "onion"]


def _dotted(length: int) -> str:
    """Labels of 'a' (at most 63 each) joined by dots, exactly `length` characters."""
    labels, left = [], length
    while left > 64:
        labels.append("a" * 63)
        left -= 64
    labels += ["a" * 62, "a"] if left == 64 else ["a" * left]
    return ".".join(labels)


def _did_web(length: int) -> str:
    """A syntactically valid did:web of exactly `length` characters."""
    return "did:web:" + _dotted(length - len("did:web:") - len(".com")) + ".com"


def _handle(length: int) -> str:
    """A syntactically valid handle of exactly `length` characters."""
    return _dotted(length - len(".com")) + ".com"


class TestLengthLimits:
    def test_a_did_of_exactly_2048_characters_is_accepted(self):
        text = _did_web(2048)
        assert len(text) == 2048
        assert Did.parse(text).value == text

    def test_a_did_one_character_longer_is_refused_naming_the_limit(self):
        with pytest.raises(InvalidDid) as refused:
            Did.parse(_did_web(2049))
        assert str(refused.value) == "DID is longer than 2048 characters"

    def test_a_handle_of_exactly_253_characters_is_accepted(self):
        text = _handle(253)
        assert len(text) == 253
        assert Handle.parse(text).value == text

    def test_a_handle_one_character_longer_is_refused_naming_the_limit(self):
        with pytest.raises(InvalidHandle) as refused:
            Handle.parse(_handle(254))
        assert str(refused.value) == "handle is longer than 253 characters"

    def test_a_63_character_label_is_accepted_and_64_refused(self):
        assert Handle.parse("a" * 63 + ".com").value == "a" * 63 + ".com"
        with pytest.raises(InvalidHandle) as refused:
            Handle.parse("a" * 64 + ".com")
        assert str(refused.value) == f"not a valid handle: {'a' * 64 + '.com'!r}"


class TestReservedTopLevelDomains:
    @pytest.mark.parametrize("tld", RESERVED)
    def test_every_reserved_tld_is_refused(self, tld):
        with pytest.raises(InvalidHandle) as refused:
            Handle.parse(f"alice.{tld}")
        assert str(refused.value) == f"handle uses a reserved top-level domain: 'alice.{tld}'"

    @pytest.mark.parametrize("tld", RESERVED)
    def test_also_under_more_than_two_labels(self, tld):
        with pytest.raises(InvalidHandle, match="reserved top-level domain"):
            Handle.parse(f"alice.team.{tld}")

    def test_a_reserved_word_as_an_inner_label_is_fine(self):
        assert Handle.parse("alice.local.example-tld").value == "alice.local.example-tld"

    def test_handle_invalid_itself_is_the_one_representable_exception(self):
        assert Handle.parse("handle.invalid").is_invalid_marker


class TestDidPlc:
    def test_the_base32_alphabet_is_lowercase_a_to_z_and_2_to_7(self):
        assert Did.parse("did:plc:abcdefghijklmnopqrstuvwx").value.endswith("uvwx")
        assert Did.parse("did:plc:yz234567yz234567yz234567")

    @pytest.mark.parametrize("outside", ["0", "1", "8", "9"])
    def test_digits_outside_the_alphabet_are_refused(self, outside):
        raw = "did:plc:" + outside + "a" * 23
        with pytest.raises(InvalidDid) as refused:
            Did.parse(raw)
        assert str(refused.value) == f"not a valid did:plc identifier: {raw!r}"

    @pytest.mark.parametrize("length", [23, 25])
    def test_the_identifier_is_exactly_24_characters(self, length):
        with pytest.raises(InvalidDid, match="not a valid did:plc identifier"):
            Did.parse("did:plc:" + "a" * length)


class TestMessages:
    """The messages reach clients as `detail`: each is asserted whole."""

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("did:key:z6Mkabc", "only did:plc and did:web are supported, got 'did:key:z6Mkabc'"),
            ("did:web:a/b", "not a valid did:web identifier: 'did:web:a/b'"),
            ("alice", "not a DID: 'alice'"),
            (" did:plc:abc", "DID has leading or trailing whitespace"),
        ],
    )
    def test_did(self, raw, message):
        with pytest.raises(InvalidDid) as refused:
            Did.parse(raw)
        assert str(refused.value) == message

    def test_empty_handle(self):
        with pytest.raises(InvalidHandle) as refused:
            Handle.parse("@")
        assert str(refused.value) == "handle is empty"

    def test_handle_with_whitespace_around_it(self):
        with pytest.raises(InvalidHandle) as refused:
            Handle.parse("bob.test\u3000")
        assert str(refused.value) == "handle has leading or trailing whitespace"

    def test_a_refused_authorization_request_names_the_servers_error(self):
        # Its message reaches the person as `detail`; error and description as fields.
        refused = AuthorizationRefused("invalid_client_metadata", "Invalid client ID")
        assert str(refused) == (
            "the authorization server refused the request: "
            "invalid_client_metadata: Invalid client ID"
        )
        assert (refused.error, refused.description) == (
            "invalid_client_metadata",
            "Invalid client ID",
        )
        bare = AuthorizationRefused("invalid_request", None)
        assert str(bare) == "the authorization server refused the request: invalid_request"
        assert (bare.error, bare.description) == ("invalid_request", None)

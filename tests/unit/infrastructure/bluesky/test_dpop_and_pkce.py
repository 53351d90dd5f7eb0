import json

from joserfc import jwt
from joserfc.jwk import ECKey

from talk_backend.infrastructure.bluesky.dpop import DpopKey, DpopNonces, access_token_hash
from talk_backend.infrastructure.bluesky.pkce import new_verifier, s256_challenge


def test_pkce_s256_matches_rfc7636_example():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert 43 <= len(new_verifier()) <= 128


def test_proof_names_method_url_without_query_and_nonce():
    key = DpopKey.generate()
    proof = key.proof("POST", "https://as.example.com/token?x=1#f", "n1", access_token="tok")
    public = ECKey.import_key(json.loads(key.to_json()))
    token = jwt.decode(proof, public, algorithms=["ES256"])
    assert token.header["typ"] == "dpop+jwt" and "d" not in token.header["jwk"]
    assert token.claims["htu"] == "https://as.example.com/token"
    assert token.claims["htm"] == "POST" and token.claims["nonce"] == "n1"
    assert token.claims["ath"] == access_token_hash("tok")


def test_key_repr_does_not_leak_private_material():
    key = DpopKey.generate()
    assert json.loads(key.to_json())["d"] not in repr(key)


def test_nonces_are_remembered_per_origin():
    nonces = DpopNonces()
    nonces.remember("https://a.example.com/par", "n1")
    nonces.remember("https://a.example.com/token", "n2")
    assert nonces.get("https://a.example.com/other") == "n2"
    assert nonces.get("https://b.example.com/par") is None

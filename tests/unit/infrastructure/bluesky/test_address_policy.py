"""Which addresses an untrusted URL may reach, judged on the addresses alone."""

import ipaddress

import pytest

from talk_backend.application.errors import UnsafeUrl
from talk_backend.infrastructure.bluesky.address_policy import AddressPolicy

PRIVATE = [
    "10.0.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "100.64.0.1",
    "169.254.169.254",
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.251",
    "240.0.0.1",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "::",
    "ff02::1",
    "::ffff:10.0.0.1",
    "::ffff:192.168.1.1",
    "64:ff9b::c0a8:101",
    "2002:c0a8:101::1",
]
LOOPBACK = ["127.0.0.1", "127.255.0.1", "::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1"]
PUBLIC = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::ffff:93.184.215.14"]


def addresses(*texts: str):
    return [ipaddress.ip_address(t) for t in texts]


@pytest.mark.parametrize("address", PRIVATE + LOOPBACK)
def test_refused_without_the_switch(address):
    with pytest.raises(UnsafeUrl):
        AddressPolicy(allow_loopback=False).check("h", addresses(address))


@pytest.mark.parametrize("address", PRIVATE)
def test_refused_with_the_switch(address):
    with pytest.raises(UnsafeUrl) as refused:
        AddressPolicy(allow_loopback=True).check("pds.example.test", addresses(address))
    assert str(refused.value) == "pds.example.test resolves to a non-public address"


@pytest.mark.parametrize("address", LOOPBACK)
def test_loopback_only_with_the_switch(address):
    AddressPolicy(allow_loopback=True).check("h", addresses(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_is_allowed(address):
    AddressPolicy(allow_loopback=False).check("h", addresses(address))
    AddressPolicy(allow_loopback=True).check("h", addresses(address))


def test_one_bad_answer_spoils_the_lot():
    for allow in (False, True):
        with pytest.raises(UnsafeUrl):
            AddressPolicy(allow_loopback=allow).check("h", addresses(PUBLIC[0], "10.0.0.1"))
    with pytest.raises(UnsafeUrl):  # loopback mixed with public is not "loopback"
        AddressPolicy(allow_loopback=True).check("h", addresses(PUBLIC[0], "127.0.0.1"))
    with pytest.raises(UnsafeUrl) as refused:
        AddressPolicy(allow_loopback=False).check("gone.example.test", [])
    assert str(refused.value) == "gone.example.test resolves to no address"

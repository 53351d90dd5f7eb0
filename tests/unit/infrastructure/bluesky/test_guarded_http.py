"""The SSRF guard: public https only, loopback/http only behind the explicit switch."""

import httpx
import pytest

from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient, UnsafeUrl

pytestmark = pytest.mark.asyncio(loop_scope="session")


def guard(allow: bool) -> GuardedHttpClient:
    return GuardedHttpClient(httpx.AsyncClient(), allow_insecure_loopback=allow)


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/x",  # public, but not https
        "https://127.0.0.1/x",
        "https://[::1]/x",
        "https://10.0.0.1/x",
        "https://192.168.1.1/x",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/x",
        "https://user:pw@93.184.215.14/x",
        "file:///etc/passwd",
    ],
)
async def test_refused_without_the_switch(url):
    with pytest.raises(UnsafeUrl):
        await guard(False).check(url)


async def test_public_https_is_allowed():
    await guard(False).check("https://93.184.215.14/.well-known/atproto-did")


async def test_switch_allows_loopback_only():
    await guard(True).check("http://127.0.0.1:8000/x")
    await guard(True).check("http://[::1]:8000/x")
    with pytest.raises(UnsafeUrl):
        await guard(True).check("http://10.0.0.1/x")
    with pytest.raises(UnsafeUrl):
        await guard(True).check("http://93.184.215.14/x")


async def test_no_redirects_are_followed():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://10.0.0.1/"})

    client = GuardedHttpClient(
        httpx.AsyncClient(transport=httpx.MockTransport(handler)), allow_insecure_loopback=True
    )
    response = await client.request("GET", "http://127.0.0.1:1/x")
    assert response.status_code == 302

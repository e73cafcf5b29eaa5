import httpx

from tests.support.server import ServerThread


def test_healthz_and_readyz(server: ServerThread) -> None:
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"

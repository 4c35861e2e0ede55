"""Security headers on every response the API serves, kept where a response sets its own."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from sculptops.http.app import create_app
from sculptops.http.headers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS

router = APIRouter()


@router.get("/plain")
def plain() -> dict[str, str]:
    return {"ok": "yes"}


@router.get("/page", response_class=HTMLResponse)
def page() -> HTMLResponse:
    return HTMLResponse("<p>hi</p>", headers={"Content-Security-Policy": "img-src 'self' data:"})


def test_every_answer_carries_the_headers_and_an_own_policy_is_kept():
    client = TestClient(create_app([router]))
    for path, status in (("/plain", 200), ("/nowhere", 404)):
        r = client.get(path)
        assert r.status_code == status
        for name, value in SECURITY_HEADERS:
            assert r.headers[name] == value, (path, name)
    assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    own = client.get("/page")
    assert own.headers.get_list("Content-Security-Policy") == ["img-src 'self' data:"]
    assert own.headers["X-Content-Type-Options"] == "nosniff"
    too_big = client.post("/plain", content=b"x" * (2 * 1024 * 1024))
    assert too_big.status_code == 413 and too_big.headers["X-Frame-Options"] == "DENY"

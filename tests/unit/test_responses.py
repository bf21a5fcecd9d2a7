"""ETags and the protective headers."""

from __future__ import annotations

from chalicelib.responses import PROTECTIVE_HEADERS, etag_matches, monster_etag, protect, text_error


def test_etag_matching() -> None:
    tag = monster_etag("1", 80, "abc")
    assert tag == monster_etag("1", 80, "abc")
    assert tag != monster_etag("1", 81, "abc")
    assert etag_matches(tag, tag)
    assert etag_matches(f'"x", W/{tag}', tag)
    assert etag_matches("*", tag)
    assert not etag_matches(None, tag)
    assert not etag_matches('"x"', tag)


def test_protect_adds_what_is_missing_and_keeps_what_is_set() -> None:
    response = text_error(400, "no")
    response.headers["Content-Security-Policy"] = "default-src 'self'"
    protect(response)
    assert response.headers["Content-Security-Policy"] == "default-src 'self'"
    for name, value in PROTECTIVE_HEADERS.items():
        if name != "Content-Security-Policy":
            assert response.headers[name] == value
    assert "frame-ancestors 'none'" in PROTECTIVE_HEADERS["Content-Security-Policy"]

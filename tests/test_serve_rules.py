"""What `serve` accepts, without a server: the Host and Origin rule (the slow tier runs it
over a real server in test_serve.py)."""

from __future__ import annotations

import pytest

from tui.serve import request_refusal


@pytest.mark.parametrize(
    ("host", "origin", "bound", "names"),
    [
        ("127.0.0.1:8000", None, "127.0.0.1", ()),
        ("localhost:8000", "http://localhost:8000", "127.0.0.1", ()),
        ("[::1]:8000", "http://[::1]:8000", "::1", ()),
        ("192.168.1.20:8000", "http://192.168.1.20:8000", "0.0.0.0", ()),
        ("lab.example.org:8000", "http://lab.example.org:8000", "0.0.0.0", ("lab.example.org",)),
        ("LAB.example.org:8000", "https://lab.example.org:8000", "0.0.0.0", ("lab.example.org",)),
        ("myhost:8000", None, "myhost", ()),
    ],
)
def test_requests_of_our_own_are_let_in(host, origin, bound, names):
    assert request_refusal(host, origin, bound, 8000, names) is None


@pytest.mark.parametrize(
    ("host", "origin", "bound", "why"),
    [
        ("127.0.0.1:8000", "http://evil.example", "127.0.0.1", "Origin"),
        ("127.0.0.1:8000", "http://evil.example:8000", "127.0.0.1", "Origin"),
        ("127.0.0.1:8000", "http://127.0.0.1:9999", "127.0.0.1", "Origin"),
        ("127.0.0.1:8000", "null", "127.0.0.1", "Origin"),
        ("127.0.0.1:8000", "file://", "127.0.0.1", "Origin"),
        ("evil.example:8000", None, "127.0.0.1", "Host"),  # DNS rebinding
        ("evil.example:8000", None, "0.0.0.0", "Host"),
        ("127.0.0.1:8001", None, "127.0.0.1", "Host"),
        ("127.0.0.1", None, "127.0.0.1", "Host"),  # port 80
        ("127.0.0.1:x", None, "127.0.0.1", "Host"),
        ("10.0.0.1:8000", None, "127.0.0.1", "Host"),
        (None, None, "127.0.0.1", "Host"),
    ],
)
def test_foreign_hosts_and_origins_are_refused(host, origin, bound, why):
    refusal = request_refusal(host, origin, bound, 8000)
    assert refusal is not None and refusal.startswith(("no Host", why))

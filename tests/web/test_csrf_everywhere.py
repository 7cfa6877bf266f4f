"""CSRF protection on every form: each page router that accepts unsafe methods carries the CSRF dependency."""

from kaifang.routes import api_routes
from kaifang.web.csrf import csrf_protect


def test_every_unsafe_page_route_checks_csrf():
    unprotected = []
    for route in api_routes():
        if route.path.startswith("/api/") or not (route.methods - {"GET", "HEAD", "OPTIONS"}):
            continue
        calls = {d.call for d in route.dependant.dependencies}
        if csrf_protect not in calls:
            unprotected.append(f"{sorted(route.methods)} {route.path}")
    assert unprotected == []


def test_there_are_unsafe_routes_to_check():
    assert sum(1 for r in api_routes() if "POST" in r.methods) >= 15

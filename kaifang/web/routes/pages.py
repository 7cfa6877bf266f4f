"""The public pages of the web shell (A9.1, A9.2): home, catalog, services, showcase, interaction,
statistics, about and the language switch.

The catalog and the data engine come later; until then these pages show their real structure with an
honest empty state, never sample data.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from kaifang.web import i18n
from kaifang.web.csrf import csrf_protect
from kaifang.web.forms import safe_next
from kaifang.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

# A17.1: the priority domains, first-class themes for browsing and statistics.
# (code, English msgid); the Chinese names live in web.po.
PRIORITY_DOMAINS: list[tuple[str, str]] = [
    ("credit", "Public credit"),
    ("education", "Education"),
    ("transport", "Transport"),
    ("culture_tourism", "Culture and tourism"),
    ("science", "Science and technology"),
    ("hr_social_security", "Human resources and social security"),
    ("natural_resources", "Natural resources"),
    ("ecology", "Ecology and environment"),
    ("agriculture", "Agriculture and rural affairs"),
    ("health", "Health"),
    ("emergency", "Emergency management"),
    ("market", "Market regulation"),
    ("statistics", "Official statistics"),
    ("medical_security", "Medical security"),
    ("finance", "Finance"),
    ("meteorology", "Meteorology"),
]

# A7.1: the three open classes, (code, English msgid).
OPEN_CLASSES: list[tuple[str, str]] = [
    ("unconditional", "Unconditionally open"),
    ("conditional", "Conditionally open"),
    ("not_open", "Not open"),
]

MAX_QUERY_LENGTH = 200

_DOMAIN_CODES = {code for code, _label in PRIORITY_DOMAINS}
_OPEN_CLASS_CODES = {code for code, _label in OPEN_CLASSES}


def _catalog_url(**params: str) -> str:
    kept = {k: v for k, v in params.items() if v}
    return "/catalog?" + urlencode(kept) if kept else "/catalog"


def _facet(
    options: list[tuple[str, str]], selected: str, name: str, current: dict[str, str],
) -> list[dict[str, Any]]:
    """Facet values as links: choosing a value filters by it, choosing the selected value clears it."""
    return [
        {
            "code": code,
            "label": label,
            "selected": code == selected,
            "href": _catalog_url(**{**current, name: "" if code == selected else code}),
        }
        for code, label in options
    ]


@router.get("/")
def home(request: Request) -> Response:
    return render(request, "web/home.html", {"domains": PRIORITY_DOMAINS})


@router.get("/catalog")
def catalog(request: Request, q: str = "", domain: str = "", open_class: str = "") -> Response:
    q = q.strip()[:MAX_QUERY_LENGTH]
    domain = domain if domain in _DOMAIN_CODES else ""
    open_class = open_class if open_class in _OPEN_CLASS_CODES else ""
    current = {"q": q, "domain": domain, "open_class": open_class}
    return render(request, "web/catalog.html", {
        "q": q,
        "domain": domain,
        "open_class": open_class,
        "domain_facet": _facet(PRIORITY_DOMAINS, domain, "domain", current),
        "open_class_facet": _facet(OPEN_CLASSES, open_class, "open_class", current),
        "clear_filters_href": _catalog_url(q=q),
        "results": [],
    })


@router.get("/services")
def services(request: Request) -> Response:
    return render(request, "web/services.html", {"services": []})


@router.get("/showcase")
def showcase(request: Request) -> Response:
    return render(request, "web/showcase.html", {"applications": []})


@router.get("/interaction")
def interaction(request: Request) -> Response:
    return render(request, "web/interaction.html", {"demands": []})


@router.get("/statistics")
def statistics(request: Request) -> Response:
    return render(request, "web/statistics.html", {})


@router.get("/about")
def about(request: Request) -> Response:
    return render(request, "web/about.html", {})


@router.post("/lang")
def switch_language(
    request: Request,
    lang: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "/",
) -> RedirectResponse:
    """The language switch of base.html; the router's dependency has already checked the CSRF token."""
    request.session["lang"] = i18n.pick_lang(lang)
    return RedirectResponse(safe_next(next_path), status_code=303)

"""The public pages of the web shell (A9.1, A9.2): home, showcase, interaction, statistics, about and the
language switch. The catalog (/catalog) is kaifang/catalog/routes/pages.py, the lookup services (/services)
kaifang/datastore/routes/services_page.py.

Parts of the platform that come later show their real structure with an honest empty state, never sample data.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from kaifang import i18n
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


@router.get("/")
def home(request: Request) -> Response:
    return render(request, "web/home.html", {"domains": PRIORITY_DOMAINS})


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

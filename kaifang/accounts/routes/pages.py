"""Public account pages: register, sign in/out, password reset, the personal centre."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kaifang.accounts import apikeys, queries, services
from kaifang.accounts.schemas import ProfileUpdate, Registration
from kaifang.errors import ValidationErrors
from kaifang.i18n import gettext_
from kaifang.security import BusinessRuleError, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, get_principal, require_login
from kaifang.web.forms import safe_next, translate_errors
from kaifang.web.templating import flash, local_time, render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Me = Annotated[Principal, Depends(get_principal)]
SignedIn = Annotated[Principal, Depends(require_login)]


def _sign_in(request: Request, user_id: int, epoch: int, lang: str) -> None:
    request.session.clear()  # a fresh session (and CSRF token) at every sign-in
    request.session.update({"uid": user_id, "epoch": epoch, "lang": lang})


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/register")
def register_form(request: Request) -> Response:
    return render(request, "accounts/register.html", {"form": {"kind": "natural"}, "errors": {}})


@router.post("/register")
def register(
    request: Request, db: DB, principal: Me,
    kind: Annotated[str, Form()] = "natural", email: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "", org_name: Annotated[str, Form()] = "",
    uscc: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "", password_confirm: Annotated[str, Form()] = "",
    accept_rules: Annotated[str, Form()] = "",
) -> Response:
    form = {"kind": kind, "email": email, "display_name": display_name, "org_name": org_name,
            "uscc": uscc, "phone": phone}
    if kind not in ("natural", "legal", "unincorporated"):
        kind = "natural"
    data = Registration(kind=kind, email=email, display_name=display_name, org_name=org_name or None,  # type: ignore[arg-type]
                        uscc=uscc or None, phone=phone or None, password=password,
                        password_confirm=password_confirm, accept_rules=accept_rules == "yes")
    try:
        user = services.register_user(db, principal, data, ip=_client_ip(request))
    except ValidationErrors as exc:
        return render(request, "accounts/register.html",
                      {"form": form, "errors": translate_errors(exc.errors)}, status_code=400)
    _sign_in(request, user.id, user.session_epoch, request.session.get("lang") or user.lang)
    flash(request, gettext_("Welcome! Your account has been created."))
    return RedirectResponse("/me", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    return render(request, "accounts/login.html", {"next": safe_next(next, ""), "email": "", "error": None})


@router.post("/login")
def login(
    request: Request, db: DB, principal: Me, email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "",
) -> Response:
    result = services.authenticate(db, principal, email, password)
    if result.user is None:
        until = local_time(result.locked_until) if result.locked_until else ""
        error = gettext_(result.error or "", until=until) if "%(until)s" in (result.error or "") else gettext_(
            result.error or "")
        return render(request, "accounts/login.html",
                      {"next": safe_next(next, ""), "email": email, "error": error}, status_code=400)
    _sign_in(request, result.user.id, result.user.session_epoch, result.user.lang)
    return RedirectResponse(safe_next(next, "/me"), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/", status_code=303)


@router.get("/password/forgot")
def forgot_form(request: Request) -> Response:
    return render(request, "accounts/forgot.html", {"sent": False})


@router.post("/password/forgot")
def forgot(request: Request, db: DB, principal: Me, email: Annotated[str, Form()] = "") -> Response:
    services.request_password_reset(db, principal, email)
    return render(request, "accounts/forgot.html", {"sent": True})


@router.get("/password/reset/{token}")
def reset_form(request: Request, token: str) -> Response:
    return render(request, "accounts/reset.html", {"token": token, "errors": {}, "error": None})


@router.post("/password/reset/{token}")
def reset(
    request: Request, db: DB, principal: Me, token: str,
    password: Annotated[str, Form()] = "", password_confirm: Annotated[str, Form()] = "",
) -> Response:
    try:
        services.reset_password(db, principal, token, password, password_confirm)
    except ValidationErrors as exc:
        return render(request, "accounts/reset.html",
                      {"token": token, "errors": translate_errors(exc.errors), "error": None}, status_code=400)
    except BusinessRuleError as exc:
        return render(request, "accounts/reset.html",
                      {"token": token, "errors": {}, "error": gettext_(exc.message)}, status_code=400)
    request.session.clear()
    flash(request, gettext_("Your password has been changed. Please sign in with the new password."))
    return RedirectResponse("/login", status_code=303)


@router.get("/me")
def personal_centre(request: Request, db: DB, principal: SignedIn) -> Response:
    return _me(request, db, principal)


def _me(request: Request, db: Session, principal: Principal, errors: dict | None = None,
        new_key: str | None = None, status: int = 200) -> Response:
    return render(request, "accounts/me.html", {
        "profile": queries.my_profile(db, principal), "errors": errors or {},
        "current_rules": request.app.state.settings.rules_version, "api_keys": apikeys.my_api_keys(db, principal),
        "new_key": new_key,
    }, status_code=status)


@router.post("/me/keys")
def create_key(request: Request, db: DB, principal: SignedIn, key_name: Annotated[str, Form()] = "") -> Response:
    """A19.1: a free API key, shown once."""
    try:
        created = apikeys.create_api_key(db, principal, key_name)
    except BusinessRuleError as exc:
        return _me(request, db, principal, {"key_name": gettext_(exc.message, **exc.params)}, status=400)
    return _me(request, db, principal, new_key=created.plaintext)


@router.post("/me/keys/{key_id}/revoke")
def revoke_key(request: Request, db: DB, principal: SignedIn, key_id: int) -> Response:
    apikeys.revoke_api_key(db, principal, key_id)
    flash(request, gettext_("The key has been revoked."))
    return RedirectResponse("/me", status_code=303)


@router.post("/me/profile")
def update_profile(
    request: Request, db: DB, principal: SignedIn, display_name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "", lang: Annotated[str, Form()] = "zh_CN",
) -> Response:
    try:
        services.update_profile(db, principal, ProfileUpdate(
            display_name=display_name, phone=phone or None, lang="en" if lang == "en" else "zh_CN"))
    except ValidationErrors as exc:
        return _me(request, db, principal, translate_errors(exc.errors), status=400)
    request.session["lang"] = "en" if lang == "en" else "zh_CN"
    flash(request, gettext_("Your details have been saved."))
    return RedirectResponse("/me", status_code=303)


@router.post("/me/password")
def change_password(
    request: Request, db: DB, principal: SignedIn, old_password: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "", password_confirm: Annotated[str, Form()] = "",
) -> Response:
    try:
        user = services.change_password(db, principal, old_password, password, password_confirm)
    except ValidationErrors as exc:
        return _me(request, db, principal, translate_errors(exc.errors), status=400)
    _sign_in(request, user.id, user.session_epoch, user.lang)
    flash(request, gettext_("Your password has been changed. Other sessions have been signed out."))
    return RedirectResponse("/me", status_code=303)


@router.post("/me/rules")
def accept_rules(request: Request, db: DB, principal: SignedIn) -> Response:
    services.accept_rules(db, principal, ip=_client_ip(request))
    flash(request, gettext_("Thank you: you have accepted the current platform rules of use."))
    return RedirectResponse("/me", status_code=303)

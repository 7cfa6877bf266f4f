"""Public account pages: register, sign in/out, password reset, the personal centre."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kaifang.accounts import apikeys, queries, services
from kaifang.accounts.schemas import (
    EmailInput,
    KeyInput,
    NewPassword,
    PasswordChange,
    ProfileUpdate,
    Registration,
    SignIn,
)
from kaifang.errors import BusinessRuleError, Message
from kaifang.i18n import translate
from kaifang.security import Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import get_db, get_principal, require_login
from kaifang.web.forms import Problem, Submitted, act, form_of, safe_next
from kaifang.web.templating import local_time, render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Me = Annotated[Principal, Depends(get_principal)]
SignedIn = Annotated[Principal, Depends(require_login)]

# The inputs each form of these pages shows (a problem with another input is listed above the form).
REGISTRATION_FIELDS = ("email", "display_name", "org_name", "uscc", "phone", "password", "password_confirm",
                       "accept_rules")
ME_FIELDS = {"profile": ("display_name", "phone"), "password": ("old_password", "password", "password_confirm"),
             "key": ("key_name",)}


def _sign_in(request: Request, user_id: int, epoch: int, lang: str) -> None:
    request.session.clear()  # a fresh session (and CSRF token) at every sign-in
    request.session.update({"uid": user_id, "epoch": epoch, "lang": lang})


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


# --- registration and signing in ----------------------------------------------------------------------

def _register_page(request: Request, values: dict, problem: Problem | None = None, status: int = 200) -> Response:
    return render(request, "accounts/register.html", {
        "form": values, "errors": problem.errors if problem else {}, "problem": problem}, status_code=status)


@router.get("/register")
def register_form(request: Request) -> Response:
    return _register_page(request, {"kind": "natural"})


@router.post("/register")
def register(request: Request, db: DB, principal: Me,
             form: Annotated[Submitted[Registration], Depends(form_of(Registration))]) -> Response:
    def register_and_sign_in(data: Registration) -> None:
        user = services.register_user(db, principal, data, ip=_client_ip(request))
        _sign_in(request, user.id, user.session_epoch, request.session.get("lang") or user.lang)

    return act(request, form, register_and_sign_in, done="Welcome! Your account has been created.", then="/me",
               rerender=lambda problem: _register_page(request, form.values, problem, 400), name="register",
               placed=REGISTRATION_FIELDS)


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    return render(request, "accounts/login.html", {"next": safe_next(next, ""), "email": "", "error": None})


@router.post("/login")
def login(request: Request, db: DB, principal: Me,
          form: Annotated[Submitted[SignIn], Depends(form_of(SignIn))]) -> Response:
    data = form.data or SignIn()
    result = services.authenticate(db, principal, data.email, data.password)
    if result.user is None:
        until = local_time(result.locked_until) if result.locked_until else ""
        return render(request, "accounts/login.html", {
            "next": safe_next(data.next, ""), "email": data.email,
            "error": translate(Message(result.error or "", {"until": until}))}, status_code=400)
    _sign_in(request, result.user.id, result.user.session_epoch, result.user.lang)
    return RedirectResponse(safe_next(data.next, "/me"), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/", status_code=303)


# --- password reset by mail ---------------------------------------------------------------------------

@router.get("/password/forgot")
def forgot_form(request: Request) -> Response:
    return render(request, "accounts/forgot.html", {"sent": False})


@router.post("/password/forgot")
def forgot(request: Request, db: DB, principal: Me,
           form: Annotated[Submitted[EmailInput], Depends(form_of(EmailInput))]) -> Response:
    services.request_password_reset(db, principal, (form.data or EmailInput()).email)
    return render(request, "accounts/forgot.html", {"sent": True})  # the same answer whether the account exists


def _reset_page(request: Request, token: str, problem: Problem | None = None, status: int = 200) -> Response:
    return render(request, "accounts/reset.html", {
        "token": token, "errors": problem.errors if problem else {}, "problem": problem}, status_code=status)


@router.get("/password/reset/{token}")
def reset_form(request: Request, token: str) -> Response:
    return _reset_page(request, token)


@router.post("/password/reset/{token}")
def reset(request: Request, db: DB, principal: Me, token: str,
          form: Annotated[Submitted[NewPassword], Depends(form_of(NewPassword))]) -> Response:
    def reset_and_sign_out(data: NewPassword) -> None:
        services.reset_password(db, principal, token, data.password, data.password_confirm)
        request.session.clear()

    return act(request, form, reset_and_sign_out, then="/login", name="reset", placed=("password", "password_confirm"),
               done="Your password has been changed. Please sign in with the new password.",
               rerender=lambda problem: _reset_page(request, token, problem, 400))


# --- the personal centre ------------------------------------------------------------------------------

@router.get("/me")
def personal_centre(request: Request, db: DB, principal: SignedIn) -> Response:
    return _me(request, db, principal)


def _me(request: Request, db: Session, principal: Principal, problem: Problem | None = None,
        new_key: str | None = None, status: int = 200) -> Response:
    return render(request, "accounts/me.html", {
        "profile": queries.my_profile(db, principal), "problem": problem,
        "current_rules": request.app.state.settings.rules_version, "api_keys": apikeys.my_api_keys(db, principal),
        "new_key": new_key,
    }, status_code=status)


def _on_me(request: Request, db: Session, principal: Principal, form: Submitted | None, name: str, call,
           done: str) -> Response:
    """One form of the personal centre: run its service, or show the page again with its problems."""
    return act(request, form, call, done=done, then="/me", name=name, placed=ME_FIELDS.get(name, ()),
               rerender=lambda problem: _me(request, db, principal, problem, status=400))


@router.post("/me/keys")
def create_key(request: Request, db: DB, principal: SignedIn,
               form: Annotated[Submitted[KeyInput], Depends(form_of(KeyInput))]) -> Response:
    """A19.1: a free API key, shown once (on this answer, never in a redirect)."""
    try:
        created = apikeys.create_api_key(db, principal, (form.data or KeyInput()).key_name)
    except BusinessRuleError as exc:
        return _me(request, db, principal, Problem.of("key", exc, form.values, ME_FIELDS["key"]), status=400)
    return _me(request, db, principal, new_key=created.plaintext)


@router.post("/me/keys/{key_id}/revoke")
def revoke_key(request: Request, db: DB, principal: SignedIn, key_id: int) -> Response:
    return _on_me(request, db, principal, None, "revoke", lambda: apikeys.revoke_api_key(db, principal, key_id),
                  "The key has been revoked.")


@router.post("/me/profile")
def update_profile(request: Request, db: DB, principal: SignedIn,
                   form: Annotated[Submitted[ProfileUpdate], Depends(form_of(ProfileUpdate))]) -> Response:
    def save(data: ProfileUpdate) -> None:
        services.update_profile(db, principal, data)
        request.session["lang"] = data.lang

    return _on_me(request, db, principal, form, "profile", save, "Your details have been saved.")


@router.post("/me/password")
def change_password(request: Request, db: DB, principal: SignedIn,
                    form: Annotated[Submitted[PasswordChange], Depends(form_of(PasswordChange))]) -> Response:
    def change(data: PasswordChange) -> None:
        user = services.change_password(db, principal, data.old_password, data.password, data.password_confirm)
        _sign_in(request, user.id, user.session_epoch, user.lang)  # this session stays, the others end

    return _on_me(request, db, principal, form, "password", change,
                  "Your password has been changed. Other sessions have been signed out.")


@router.post("/me/rules")
def accept_rules(request: Request, db: DB, principal: SignedIn) -> Response:
    return _on_me(request, db, principal, None, "rules",
                  lambda: services.accept_rules(db, principal, ip=_client_ip(request)),
                  "Thank you: you have accepted the current platform rules of use.")

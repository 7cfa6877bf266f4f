"""The applicant's pages of an application (A20-A24): my applications and grants, an application's page (acceptance
rounds, attachments, the use agreement and its signatures, grants, results of use) and its moves. Every POST runs
one service through ``act()``; someone else's application answers 404, like a missing one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kaifang.access import services
from kaifang.access.queries import ApplicationView, application_view, attachment_for, my_applications, my_grants
from kaifang.access.queries import my_sanctions as sanctions_of
from kaifang.access.routes.common import DB, SIDES, VOCABULARIES, SignedIn
from kaifang.access.schemas import KeyInput, NoteInput, ResultInput, SignInput
from kaifang.access.workflow import EDITABLE
from kaifang.accounts import my_api_keys
from kaifang.clock import LOCAL_TZ
from kaifang.errors import Message
from kaifang.i18n import gettext_
from kaifang.security import NotFound, Principal
from kaifang.web.csrf import csrf_protect
from kaifang.web.deps import PageNumber
from kaifang.web.forms import Problem, Submitted, act, form_of
from kaifang.web.templating import local_time, render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
BOUND = "The API key now reads this grant's data only."
UNBOUND = "No API key is bound to this grant any more."
NoteForm = Annotated[Submitted[NoteInput], Depends(form_of(NoteInput))]
SignForm = Annotated[Submitted[SignInput], Depends(form_of(SignInput))]
ResultForm = Annotated[Submitted[ResultInput], Depends(form_of(ResultInput))]
KeyForm = Annotated[Submitted[KeyInput], Depends(form_of(KeyInput))]


@router.get("/access")
def my_list(request: Request, db: DB, principal: SignedIn, page: PageNumber) -> Response:
    return render(request, "access/my_list.html", {
        **VOCABULARIES, "page": my_applications(db, principal, page), "grants": my_grants(db, principal),
        "sanctions": sanctions_of(db, principal),
    })


# --- an application's page ----------------------------------------------------------------------------

def _detail(request: Request, db: Session, principal: Principal, app_id: int, problem: Problem | None = None,
            status: int = 200) -> Response:
    view = application_view(db, principal, app_id)
    keys = [k for k in my_api_keys(db, principal) if k.revoked_at is None] if view.is_applicant else []
    return render(request, "access/detail.html", {
        **VOCABULARIES, "view": view, "app": view.app, "keys": keys, "problem": problem,
        "errors": problem.errors if problem else {},
        "result": problem.values if problem and problem.form == "result" else {},
        "editable": view.is_applicant and view.app.status in EDITABLE,
        "entry_names": {i.entry_id: i.entry_name for i in view.items},
    }, status_code=status)


def _act(request: Request, db: Session, principal: Principal, app_id: int, name: str, form: Submitted[Any] | None,
         call: Callable[..., Any], done: str | Message | Callable[[Any], str | Message], anchor: str = "",
         placed: tuple[str, ...] = ()) -> Response:
    """Run one move of the applicant; a refusal shows the application again with the reason (400)."""
    return act(request, form, call, done=done, then=f"/access/{app_id}{anchor}", name=name, placed=placed,
               rerender=lambda problem: _detail(request, db, principal, app_id, problem, 400))


@router.get("/access/{app_id}")
def application_page(request: Request, db: DB, principal: SignedIn, app_id: int) -> Response:
    return _detail(request, db, principal, app_id)


@router.post("/access/{app_id}/submit")
def submit(request: Request, db: DB, principal: SignedIn, app_id: int) -> Response:
    """A20.1, A20.2: every element present; each submission opens an acceptance round."""
    return _act(request, db, principal, app_id, "submit", None,
                lambda: services.submit_application(db, principal, app_id),
                "The application has been submitted: the big data bureau checks the materials and accepts it or "
                "tells you at once everything that is missing.")


@router.post("/access/{app_id}/withdraw")
def withdraw(request: Request, db: DB, principal: SignedIn, app_id: int, form: NoteForm) -> Response:
    return _act(request, db, principal, app_id, "withdraw", form,
                lambda data: services.withdraw_application(db, principal, app_id, data.note),
                "The application has been withdrawn.")


@router.post("/access/{app_id}/sign")
def sign(request: Request, db: DB, principal: SignedIn, app_id: int, form: SignForm) -> Response:
    """A21.1: the applicant signs the SHA-256 of the exact text shown on the page."""
    return _act(request, db, principal, app_id, "sign", form,
                lambda data: services.sign_agreement(db, principal, app_id, data.side, data.sha256),
                "You have signed the use agreement.")


@router.post("/access/{app_id}/results")
def report_result(request: Request, db: DB, principal: SignedIn, app_id: int, form: ResultForm) -> Response:
    """A24.2: a result of use (app, paper, report...) of data received under the agreement."""
    return _act(request, db, principal, app_id, "result", form,
                lambda data: services.report_result(db, principal, app_id, data.kind, data.title, data.url,
                                                    data.description),
                "Thank you: the result has been recorded and is shown with the dataset.", "#results",
                ("kind", "title", "url", "description"))


@router.post("/access/{app_id}/attachments")
def add_attachment(request: Request, db: DB, principal: SignedIn, app_id: int,
                   attachment: Annotated[UploadFile | None, File()] = None) -> Response:
    """A20.1: a supporting document, read up to one byte over the limit so that the service can refuse it."""
    name = (attachment.filename or "") if attachment is not None else ""
    content = attachment.file.read(services.MAX_ATTACHMENT_BYTES + 1) if attachment is not None and name else b""
    return _act(request, db, principal, app_id, "attachment", None,
                lambda: services.add_attachment(db, principal, app_id, name, content),
                lambda row: Message("%(name)s has been attached.", {"name": row.filename}),
                "#attachments", ("attachment",))


@router.post("/access/{app_id}/attachments/{attachment_id}/delete")
def remove_attachment(request: Request, db: DB, principal: SignedIn, app_id: int, attachment_id: int) -> Response:
    return _act(request, db, principal, app_id, "remove_attachment", None,
                lambda: services.remove_attachment(db, principal, app_id, attachment_id),
                "The attachment has been removed.", "#attachments")


@router.get("/access/{app_id}/attachments/{attachment_id}")
def download_attachment(request: Request, db: DB, principal: SignedIn, app_id: int, attachment_id: int) -> Response:
    row = attachment_for(db, principal, app_id, attachment_id)
    root = Path(request.app.state.settings.files_dir).resolve()
    path = (root / row.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound()
    return FileResponse(path, media_type=row.content_type, filename=row.filename,
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


def agreement_document(view: ApplicationView) -> str:
    """A21.1: the agreement's exact text, then its SHA-256 and each signature (times in Beijing time)."""
    agreement = view.agreement
    assert agreement is not None
    lines = [agreement.text.rstrip("\n"), "", "-" * 40,
             gettext_("Application number: %(number)s", number=view.number),
             f"SHA-256: {agreement.sha256}", "", gettext_("Signatures")]
    for side in ("applicant", "provider"):
        sig = view.signatures.get(side)
        if sig is None:
            lines.append(gettext_("%(side)s: not signed yet", side=gettext_(SIDES[side])))
            continue
        who = f"{sig.label}（{sig.org_name}）" if sig.org_name else sig.label
        lines.append(gettext_("%(side)s: %(who)s, signed at %(time)s (Beijing time), SHA-256 %(hash)s",
                              side=gettext_(SIDES[side]), who=who,
                              time=sig.signed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"), hash=sig.sha256))
    if agreement.in_force_at:
        lines.append(gettext_("In force since %(time)s (Beijing time)", time=local_time(agreement.in_force_at)))
    return "\n".join(lines) + "\n"


@router.get("/access/{app_id}/agreement.txt")
def agreement_text(request: Request, db: DB, principal: SignedIn, app_id: int) -> Response:
    view = application_view(db, principal, app_id)
    if view.agreement is None:
        raise NotFound()
    filename = f"agreement-{view.number}.txt"
    return Response(agreement_document(view).encode("utf-8"), media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "X-Content-Type-Options": "nosniff"})


@router.post("/access/grants/{grant_id}/key")
def bind_key(request: Request, db: DB, principal: SignedIn, grant_id: int, form: KeyForm) -> Response:
    """A20.4: a key bound to a grant reads that grant's dataset only; no key unbinds the keys bound to it."""
    key_id = form.data.key_id if form.data else None
    return act(request, None, lambda: services.bind_key_to_grant(db, principal, key_id, grant_id),
               done=BOUND if key_id is not None else UNBOUND,
               then=lambda grant: f"/access/{grant.application_id}#grants",
               rerender=lambda problem: RedirectResponse("/access", status_code=303))

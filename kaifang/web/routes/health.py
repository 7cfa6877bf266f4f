"""/healthz (the process answers) and /readyz (database reachable, schema at head, job queue reachable)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from kaifang.migrate import is_at_head

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    sessions = request.app.state.sessions
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
            engine = session.get_bind()
        checks["database"] = "ok"
        checks["migrations"] = "ok" if is_at_head(engine) else "behind"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        request.app.state.queue.huey.pending_count()
        checks["jobs"] = "ok"
    except Exception as exc:
        checks["jobs"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

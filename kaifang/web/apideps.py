"""Who is calling the data API or a download: an API key's owner, a signed-in user, or an anonymous client;
and the rate limit that applies to them (A19.1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from kaifang.accounts import mark_key_used, principal_for_key
from kaifang.errors import ApiError
from kaifang.security import ANONYMOUS, Principal
from kaifang.web.deps import get_db, get_principal


def _key_from(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    return key or None


def api_caller(request: Request, db: Annotated[Session, Depends(get_db)],
               session_principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    settings = request.app.state.settings
    key = _key_from(request)
    if key:
        identity = principal_for_key(db, ANONYMOUS, key)
        if identity is None:
            raise ApiError(401, "Unknown or revoked API key.")
        mark_key_used(db, identity.principal, identity.key_id)
        principal, bucket, limit = identity.principal, f"key:{identity.key_id}", settings.rate_limit_identified
    elif session_principal.user_id is not None:
        principal, bucket = session_principal, f"user:{session_principal.user_id}"
        limit = settings.rate_limit_identified
    else:
        ip = request.client.host if request.client else "unknown"
        principal, bucket, limit = ANONYMOUS, f"ip:{ip}", settings.rate_limit_anonymous
    retry = request.app.state.rate_limiter.hit(bucket, limit)
    if retry:
        raise ApiError(429, "Too many requests: please slow down, or use a free API key for a higher limit.",
                       {"Retry-After": str(retry)})
    return principal

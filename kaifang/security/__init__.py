"""Principals, the permission vocabulary, ``authorize()``, the ``reach()`` filter and the service declarations."""

from kaifang.errors import BusinessRuleError, NotAuthenticated, NotFound, PermissionDenied
from kaifang.security.authz import (
    AUTHENTICATED,
    PUBLIC,
    atomic,
    authorize,
    query,
    service,
)
from kaifang.security.permissions import ROLE_LABELS_ZH, ROLE_PERMISSIONS, Permission, Role
from kaifang.security.principal import ANONYMOUS, SYSTEM, OrgRef, Principal, RoleGrant
from kaifang.security.reach import reach

__all__ = [
    "ANONYMOUS", "AUTHENTICATED", "PUBLIC", "ROLE_LABELS_ZH", "ROLE_PERMISSIONS", "SYSTEM",
    "BusinessRuleError", "NotAuthenticated", "NotFound", "OrgRef", "Permission", "PermissionDenied",
    "Principal", "Role", "RoleGrant", "atomic", "authorize", "query", "reach", "service",
]

"""The one permission vocabulary (``scope:resource:action``) and what each role is granted."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    # Every signed-in user: the personal centre.
    SELF_READ = "accounts:self:read"
    SELF_UPDATE = "accounts:self:update"
    # Organisations and memberships (operator console).
    ORGS_MANAGE = "accounts:organisations:manage"
    # A35.1: agencies register their chief data officer and data staff with the bureau.
    STAFF_READ = "accounts:staff:read"
    STAFF_MANAGE = "accounts:staff:manage"
    # The console itself (any role that works on the platform).
    CONSOLE_ENTER = "console:dashboard:read"
    # A9.4: the audit trail.
    AUDIT_READ = "audit:events:read"
    AUDIT_VERIFY = "audit:chain:verify"
    # Background jobs.
    JOBS_READ = "tasks:jobs:read"
    # Working-day calendar overrides.
    CALENDAR_MANAGE = "workdays:calendar:manage"
    # The catalog (A14, A15, A8): see unpublished entries of the organisations reached; edit drafts and
    # upload data; review; expert review (A32.1); publish and withdraw; change an open class.
    CATALOG_READ = "catalog:entries:read"
    CATALOG_MANAGE = "catalog:entries:manage"
    CATALOG_REVIEW = "catalog:entries:review"
    CATALOG_EXPERT_REVIEW = "catalog:entries:expert_review"
    CATALOG_PUBLISH = "catalog:entries:publish"
    CATALOG_CLASS_CHANGE = "catalog:open_class:change"
    # Conditional access (A20-A24, A34): see the applications and out-of-catalog requests of the organisations
    # reached; accept or refuse to accept them (the bureau, A20.2) and route requests (A23.1); review them and
    # sign the use agreement (the provider, A20.3, A21.1); sanction a user (A34.1); keep the agreement template.
    ACCESS_READ = "access:applications:read"
    ACCESS_ACCEPT = "access:applications:accept"
    ACCESS_REVIEW = "access:applications:review"
    ACCESS_SANCTION = "access:sanctions:manage"
    ACCESS_TEMPLATE = "access:agreement_template:manage"


class Role(StrEnum):
    USER = "user"  # citizen or company user: every registered account has it implicitly
    PROVIDER_STAFF = "provider_staff"
    PROVIDER_CDO = "provider_cdo"
    DISTRICT_BUREAU = "district_bureau"
    CITY_BUREAU = "city_bureau"
    OPERATOR = "operator"
    EXPERT = "expert"
    SUPERVISOR = "supervisor"


ROLE_LABELS_ZH: dict[Role, str] = {
    Role.USER: "数据利用主体",
    Role.PROVIDER_STAFF: "数据开放主体工作人员",
    Role.PROVIDER_CDO: "首席数据官",
    Role.DISTRICT_BUREAU: "县级市(区)大数据主管部门",
    Role.CITY_BUREAU: "市大数据主管部门",
    Role.OPERATOR: "公共数据运行管理机构",
    Role.EXPERT: "专家委员会成员",
    Role.SUPERVISOR: "安全监管部门",
}

_USER = {Permission.SELF_READ, Permission.SELF_UPDATE}
_CATALOG_BUREAU = {Permission.CATALOG_READ, Permission.CATALOG_REVIEW, Permission.CATALOG_PUBLISH,
                   Permission.CATALOG_CLASS_CHANGE}
_ACCESS_PROVIDER = {Permission.ACCESS_READ, Permission.ACCESS_REVIEW}
_ACCESS_BUREAU = {Permission.ACCESS_READ, Permission.ACCESS_ACCEPT, Permission.ACCESS_SANCTION}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.USER: frozenset(_USER),
    Role.PROVIDER_STAFF: frozenset(
        _USER | {Permission.CONSOLE_ENTER, Permission.STAFF_READ, Permission.CATALOG_READ, Permission.CATALOG_MANAGE}
        | _ACCESS_PROVIDER
    ),
    Role.PROVIDER_CDO: frozenset(
        _USER | {Permission.CONSOLE_ENTER, Permission.STAFF_READ, Permission.STAFF_MANAGE, Permission.CATALOG_MANAGE}
        | _CATALOG_BUREAU | _ACCESS_PROVIDER | {Permission.ACCESS_SANCTION}
    ),
    Role.DISTRICT_BUREAU: frozenset(
        _USER | {Permission.CONSOLE_ENTER, Permission.STAFF_READ} | _CATALOG_BUREAU | _ACCESS_BUREAU),
    Role.CITY_BUREAU: frozenset(
        _USER | {Permission.CONSOLE_ENTER, Permission.STAFF_READ} | _CATALOG_BUREAU | _ACCESS_BUREAU),
    Role.OPERATOR: frozenset(set(Permission)),
    Role.EXPERT: frozenset(_USER | {Permission.CONSOLE_ENTER, Permission.CATALOG_EXPERT_REVIEW}),
    Role.SUPERVISOR: frozenset(
        _USER | {Permission.CONSOLE_ENTER, Permission.AUDIT_READ, Permission.STAFF_READ, Permission.ACCESS_READ}
    ),
}

# Roles whose grants reach every organisation; a district bureau reaches its region;
# the others reach only their own organisation.
GLOBAL_ROLES = frozenset({Role.OPERATOR, Role.CITY_BUREAU, Role.SUPERVISOR, Role.EXPERT})
REGIONAL_ROLES = frozenset({Role.DISTRICT_BUREAU})

"""Who is acting: a signed-in user with role grants, the anonymous visitor, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from kaifang.security.permissions import GLOBAL_ROLES, REGIONAL_ROLES, ROLE_PERMISSIONS, Permission, Role


@dataclass(frozen=True)
class RoleGrant:
    role: Role
    org_id: int | None = None
    region_code: str | None = None


@dataclass(frozen=True)
class OrgRef:
    """The organisation an object belongs to, as far as permission checks need it."""

    id: int
    region_code: str


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    label: str
    grants: frozenset[RoleGrant] = field(default_factory=frozenset)
    is_system: bool = False
    lang: str = "zh_CN"
    # Set when the caller came with an API key bound to a conditional-access grant (A20.4): data reads are
    # then limited to that grant.
    bound_grant_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.is_system

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)

    def grants_for(self, perm: Permission) -> list[RoleGrant]:
        return [g for g in self.grants if perm in ROLE_PERMISSIONS[g.role]]

    def can(self, perm: Permission, org: OrgRef | None = None) -> bool:
        """Whether any grant carries ``perm`` and reaches ``org`` (any organisation when None)."""
        if self.is_system:
            return True
        for grant in self.grants_for(perm):
            if org is None or grant.role in GLOBAL_ROLES:
                return True
            if grant.role in REGIONAL_ROLES and grant.region_code == org.region_code:
                return True
            if grant.org_id == org.id:
                return True
        return False

    def org_ids_for(self, perm: Permission) -> set[int]:
        return {g.org_id for g in self.grants_for(perm) if g.org_id is not None and g.role not in GLOBAL_ROLES}

    def regions_for(self, perm: Permission) -> set[str]:
        return {g.region_code for g in self.grants_for(perm) if g.role in REGIONAL_ROLES and g.region_code}

    def reaches_everything(self, perm: Permission) -> bool:
        return self.is_system or any(g.role in GLOBAL_ROLES for g in self.grants_for(perm))


ANONYMOUS = Principal(user_id=None, label="anonymous")
SYSTEM = Principal(user_id=None, label="system", is_system=True)

"""Users, organisations (regions, bureaus, agencies, operator), roles and memberships."""

from kaifang.accounts.queries import load_principal, org_ref
from kaifang.accounts.uscc import is_valid_uscc, normalize_uscc

__all__ = ["is_valid_uscc", "load_principal", "normalize_uscc", "org_ref"]

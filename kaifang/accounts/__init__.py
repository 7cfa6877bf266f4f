"""Users, organisations (regions, bureaus, agencies, operator), roles and memberships: what other domains may use.

Other domains call the services and queries below. Two models are exported on purpose, for the joins other
domains' SQL needs: ``Organisation`` (a provider's name next to its entries, its row locked while an entry
number is taken) and ``Region`` (the region facet of the catalog search). They are read-only to other
domains: every write to accounts goes through a service here.
"""

from kaifang.accounts.apikeys import (
    bind_api_key,
    mark_key_used,
    my_api_keys,
    principal_for_key,
    revoke_keys_of,
)
from kaifang.accounts.models import Organisation, Region
from kaifang.accounts.organisations import (
    ROLE_ORG_KIND,
    add_member,
    create_organisation,
    remove_member,
    set_organisation_active,
)
from kaifang.accounts.queries import (
    Profile,
    Roster,
    RosterEntry,
    list_organisations,
    list_regions,
    load_principal,
    my_organisations,
    my_profile,
    org_ref,
    organisation_contacts,
    organisation_id,
    organisation_roster,
)
from kaifang.accounts.recipients import (
    Contact,
    OrgInfo,
    bureau_people,
    contacts,
    organisation_info,
    organisations_in,
    people_of,
    provider_people,
    region_exists,
    user_id_for_email,
    user_label,
)
from kaifang.accounts.schemas import OrganisationInput, ProfileUpdate, Registration
from kaifang.accounts.services import (
    LoginResult,
    accept_rules,
    authenticate,
    change_password,
    normalize_email,
    register_user,
    request_password_reset,
    reset_password,
    update_profile,
)
from kaifang.accounts.uscc import CHARSET as USCC_CHARSET
from kaifang.accounts.uscc import WEIGHTS as USCC_WEIGHTS
from kaifang.accounts.uscc import USCCError, check_char, is_valid_uscc, normalize_uscc

# Other domains also use the recipients and names of recipients.py, and API keys bound to grants or revoked by a
# sanction (apikeys.py).
__all__ = [
    "ROLE_ORG_KIND", "USCC_CHARSET", "USCC_WEIGHTS", "Contact", "LoginResult", "OrgInfo", "Organisation",
    "OrganisationInput", "Profile", "ProfileUpdate", "Region", "Registration", "Roster", "RosterEntry", "USCCError",
    "accept_rules", "add_member", "authenticate", "bind_api_key", "bureau_people", "change_password", "check_char",
    "contacts", "create_organisation", "is_valid_uscc", "list_organisations", "list_regions", "load_principal",
    "mark_key_used", "my_api_keys", "my_organisations", "my_profile", "normalize_email", "normalize_uscc", "org_ref",
    "organisation_contacts", "organisation_id", "organisation_info", "organisation_roster", "organisations_in",
    "people_of", "principal_for_key", "provider_people", "region_exists", "register_user", "remove_member",
    "request_password_reset", "reset_password", "revoke_keys_of", "set_organisation_active", "update_profile",
    "user_id_for_email", "user_label",
]

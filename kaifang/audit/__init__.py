"""A9.4: the append-only, hash-chained audit trail, and the access log of data reads.

``AccessLog`` is exported for the datastore's reading use cases, which append one row per read of data (a
model other domains only ever insert into, never change).
"""

from kaifang.audit.chain import VerifyResult, canonical_json, record, verify_chain
from kaifang.audit.context import RequestContext, current_request
from kaifang.audit.models import AccessLog

__all__ = ["AccessLog", "RequestContext", "VerifyResult", "canonical_json", "current_request", "record",
           "verify_chain"]

"""A9.4: the append-only, hash-chained audit trail."""

from kaifang.audit.chain import VerifyResult, record, verify_chain
from kaifang.audit.context import RequestContext, current_request

__all__ = ["RequestContext", "VerifyResult", "current_request", "record", "verify_chain"]

"""Conditional access and the one access decision for every data read."""

from kaifang.access.decision import AccessDecision, DatasetRef, Delivery, GrantScope, OpenClass, decide

__all__ = ["AccessDecision", "DatasetRef", "Delivery", "GrantScope", "OpenClass", "decide"]

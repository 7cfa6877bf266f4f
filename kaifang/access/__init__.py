"""Conditional access (A20-A24, A34.1) and the one access decision for every data read."""

from kaifang.access.decision import AccessDecision, DatasetRef, Delivery, GrantScope, OpenClass, decide

__all__ = ["AccessDecision", "DatasetRef", "Delivery", "GrantScope", "OpenClass", "decide"]

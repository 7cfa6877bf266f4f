"""Errors a reader's request can cause: the API answers them with 400 (A19.1), naming the parameter at fault.

Messages are English msgids with ``%(name)s`` placeholders, so the web layer can translate them (zh_CN by
default) and fill in the parameters; ``str(err)`` gives the English text.
"""

from __future__ import annotations

from kaifang.errors import QueryError, QueryTimeout

__all__ = ["QueryError", "QueryTimeout"]


# Message ids used by the engine, in one place so translators and tests see them all.
UNKNOWN_COLUMN = "Unknown column: %(column)s"
UNKNOWN_PARAMETER = "Unknown parameter: %(param)s"
BAD_VALUE = "'%(value)s' is not a valid %(type)s for %(column)s"
UNKNOWN_OPERATOR = "Unknown operator %(op)s for %(column)s. Use one of: %(ops)s"
REPEATED_PARAMETER = "Parameter %(param)s is given more than once."
BAD_CHOICE = "'%(value)s' is not a valid value for %(param)s. Use one of: %(choices)s"
BAD_LIMIT = "%(param)s must be a whole number of 0 or more, not '%(value)s'."
REPEATED_COLUMN = "Column %(column)s appears more than once in %(param)s."
TOO_MANY_VALUES = "Give at most %(max)s values to %(param)s."
TOKEN_INVALID = "The paging token is not valid."
TOKEN_MISMATCH = "The paging token does not belong to this query."
UNKNOWN_AGGREGATE = "Unknown aggregate %(agg)s. Use one of: %(choices)s"
AGGREGATE_NEEDS_NUMBER = "%(func)s needs a numeric column; %(column)s is %(type)s."
AGGREGATE_SORT = "Grouped results can be sorted only by %(choices)s, not %(column)s."
AGGREGATE_NAME_CLASH = "Column %(column)s has the same name as an aggregate; group by another column."
NO_PAGING_FOR_GROUPS = "Grouped results have no paging token; raise %(param)s instead."

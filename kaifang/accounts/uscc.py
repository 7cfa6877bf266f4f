"""统一社会信用代码 (unified social credit code), GB 32100-2015, with its check character."""

from __future__ import annotations

import re

from kaifang.errors import BusinessRuleError

LENGTH = 18
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # I, O, S, V, Z are never used
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class USCCError(BusinessRuleError, ValueError):
    """What is wrong with a code (its ``msgid`` and parameters), for the person who typed it."""


def check_char(first17: str) -> str:
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    """Return the code in upper case, or raise USCCError saying what is wrong."""
    code = value.strip().upper()
    if len(code) != LENGTH:
        raise USCCError("The unified social credit code must be %(length)s characters long.", length=LENGTH)
    if not _SHAPE.match(code):
        raise USCCError(
            "The unified social credit code contains characters it never uses "
            "(positions 3-8 are digits; I, O, S, V and Z never appear)."
        )
    if check_char(code[:17]) != code[17]:
        raise USCCError("The check character of the unified social credit code is wrong: please check the code.")
    return code


def is_valid_uscc(value: str) -> bool:
    try:
        normalize_uscc(value)
    except USCCError:
        return False
    return True

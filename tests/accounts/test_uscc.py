"""统一社会信用代码 check character (GB 32100-2015), used at registration of legal persons."""

import pytest

from kaifang.accounts import USCCError, check_char, is_valid_uscc, normalize_uscc
from kaifang.errors import BusinessRuleError

VALID = ["91110000600037341L", "91320594MA1MXXXXXW", "91320500MA1MXXXXX" + check_char("91320500MA1MXXXXX")]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert is_valid_uscc(code)
    assert normalize_uscc(code.lower()) == code


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("91110000600037341X", "check character"),
        ("9111000060003734", "18 characters"),
        ("91110000600037341LL", "18 characters"),
        ("91110A00600037341L", "characters it never uses"),
        ("9111000060003734IL", "characters it never uses"),
    ],
)
def test_invalid_codes_say_what_is_wrong(code, why):
    with pytest.raises(USCCError) as exc:
        normalize_uscc(code)
    assert why in exc.value.english()
    assert isinstance(exc.value, BusinessRuleError)  # one error family: a page shows it like any refusal


def test_every_wrong_check_character_is_caught():
    body = "91110000600037341"
    good = check_char(body)
    for c in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        assert is_valid_uscc(body + c) == (c == good)

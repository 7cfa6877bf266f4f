"""The form pattern's pieces (kaifang/web/forms.py): a posted form parsed into a model with every problem at
once, and a refusal turned into the ``Problem`` a page shows next to its form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import BaseModel, Field, field_validator
from starlette.datastructures import FormData

from kaifang.errors import BusinessRuleError, Message, ValidationErrors
from kaifang.i18n import current_lang
from kaifang.web.forms import Problem, parse_form


class Sample(BaseModel):
    name: str = Field(default="", max_length=5)
    count: int = 0
    tags: list[str] = Field(default_factory=list)
    kind: str = "a"

    @field_validator("kind")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ("a", "b"):
            raise ValueError("Unknown organisation type.")  # a msgid of the catalogs
        return value


@pytest.fixture
def english() -> Iterator[None]:
    token = current_lang.set("en")
    yield
    current_lang.reset(token)


def test_a_form_parses_into_its_model_with_lists_and_defaults() -> None:
    sent = parse_form(Sample, FormData([("name", "abc"), ("count", "3"), ("tags", "x"), ("tags", "y"),
                                        ("csrf_token", "t")]))
    assert sent.errors == {} and sent.data == Sample(name="abc", count=3, tags=["x", "y"])
    assert sent.values["tags"] == ["x", "y"] and sent.values["name"] == "abc"


def test_every_problem_of_a_form_at_once_as_msgids() -> None:
    sent = parse_form(Sample, {"name": "toolong", "count": "many", "kind": "z"})
    assert sent.data is None
    assert sent.errors == {"name": Message("At most %(max_length)s characters.", {"max_length": 5}),
                           "count": Message("Please enter a whole number."),
                           "kind": Message("Unknown organisation type.")}
    assert sent.values["count"] == "many"  # to fill the form again


def test_a_problem_shows_field_errors_next_to_their_inputs_and_lists_the_others(english: None) -> None:
    exc = ValidationErrors({"name": "Please enter a name.", "secret": "The current password is wrong."})
    problem = Problem.of("profile", exc, {"name": ""}, placed=("name",))
    assert problem.message == "Please correct the marked fields."
    assert problem.errors == {"name": "Please enter a name."}
    assert problem.listed == ["The current password is wrong."] and problem.values == {"name": ""}


def test_a_refusal_naming_an_input_shown_marks_it_and_one_not_shown_is_the_message(english: None) -> None:
    exc = BusinessRuleError("Please give the reason for the change.", field="reason")
    marked = Problem.of("open_class", exc, placed=("reason",))
    assert marked.errors == {"reason": "Please give the reason for the change."}
    assert marked.message == "Please correct the marked fields." and marked.listed == []
    alone = Problem.of("publish", exc, placed=())
    assert alone.message == "Please give the reason for the change." and alone.listed == [] and alone.errors == {}


def test_a_refusal_lists_the_items_of_a_list_its_message_does_not_name() -> None:  # in Chinese, the default
    exc = BusinessRuleError("This catalog entry is incomplete: please fill in every required element before "
                            "submitting it.", fields=["Data formats", "Update frequency"])
    problem = Problem.of("submit", exc, placed=("note",))
    assert problem.listed == ["数据格式", "更新频率"] and "目录信息不完整" in problem.message
    named = BusinessRuleError("%(year)s is outside the years the calendar can hold (%(first)s to %(last)s).",
                              year=[1999], first=2004, last=2027)
    assert Problem.of("year", named).listed == []  # the message says it already

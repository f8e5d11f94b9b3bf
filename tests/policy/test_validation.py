"""The one formatter of validation errors (policy/validation.py, issue 14): pydantic's
errors as ``field PATH: what`` with a path a person reads, used by the importer, the
rules file, the scenarios and the store (their tests: tests/test_validation_users.py)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from policy.validation import (
    REFUSED,
    FieldError,
    error_message,
    field_errors,
    field_path,
    first_error,
    problem_report,
    refusal,
)


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    credits: float = Field(ge=0)
    password: str = Field(default="", max_length=3)
    kept: int | None = None

    @field_validator("kept", mode="before")
    @classmethod
    def _kept(cls, value: Any) -> Any:
        raise refusal("is kept by credx; leave it out")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    items: list[_Item] = Field(default_factory=list)
    marks: dict[int, str] = Field(default_factory=dict)


def _errors(raw: dict[str, Any], **how: Any) -> list[FieldError]:
    with pytest.raises(ValidationError) as caught:
        _Doc.model_validate(raw)
    return field_errors(caught.value, **how)


def test_paths_read_like_the_file() -> None:
    assert field_path(("records", 3, "attempts", 0, "result")) == "records[3].attempts[0].result"
    assert field_path(()) == ""
    assert field_path(("marks", "[key]")) == "marks"


def test_list_items_may_be_named_beside_their_index() -> None:
    raw = {"steps": [{"id": "one"}, {"id": "two"}]}

    def label(name: str, item: Any) -> str | None:
        return f"step {item['id']}" if name == "steps" else None

    assert field_path(("steps", 1, "screen"), raw, label) == "steps[1] (step two).screen"
    assert field_path(("steps", 5, "screen"), raw, label) == "steps[5].screen"


def test_every_error_is_worded_for_a_person() -> None:
    found = _errors(
        {
            "items": [
                {"id": "a", "credits": -1, "colour": "red"},
                {"credits": "x", "kept": 1},
            ],
            "marks": {"x": "a"},
        }
    )
    shown = {e.path: e.message for e in found}
    assert shown["name"] == "required field is missing"
    assert shown["items[0].credits"] == "Input should be greater than or equal to 0 (got -1)"
    assert shown["items[0].colour"] == "unknown field (check its spelling)"
    assert shown["items[1].id"] == "required field is missing"
    assert shown["items[1].kept"] == "is kept by credx; leave it out"
    assert shown["marks.x"].startswith("the key 'x' is wrong: ")
    assert [e.kind for e in found if e.path == "items[1].kept"] == [REFUSED]


def test_the_kind_of_document_names_an_unknown_field() -> None:
    (error,) = _errors({"name": "n", "colour": "red"}, document="student")
    assert error.message == "unknown field in a student document (check its spelling)"


def test_a_secret_is_never_echoed_nor_a_long_value() -> None:
    found = _errors({"name": "n", "items": [{"id": "a", "credits": 1, "password": "hunter2"}]})
    assert [(e.path, e.message) for e in found] == [
        ("items[0].password", "String should have at most 3 characters")
    ]
    with pytest.raises(ValidationError) as caught:
        _Item.model_validate({"id": "a", "credits": "x" * 50})
    assert "(got" not in error_message(caught.value.errors()[0])


def test_one_line_shape_and_the_report() -> None:
    found = _errors({"name": "n", "items": [{"id": "a"}]})
    assert str(found[0]) == "field items[0].credits: required field is missing"
    assert found[0].invalid() == "is invalid at field items[0].credits: required field is missing"
    assert str(FieldError("", "give one")) == "give one"
    assert FieldError("", "give one").invalid() == "is invalid: give one"
    with pytest.raises(ValidationError) as caught:
        _Doc.model_validate({"items": [{"id": "a"}]})
    assert problem_report("x.toml", "the file", caught.value) == (
        "x.toml: 2 problem(s) in the file:\n"
        "  field name: required field is missing\n"
        "  field items[0].credits: required field is missing"
    )
    first, more = first_error(caught.value)
    assert (str(first), more) == ("field name: required field is missing", 1)


def test_skip_drops_a_union_tag() -> None:
    with pytest.raises(ValidationError) as caught:
        _Doc.model_validate({"name": 1})
    (error,) = field_errors(caught.value, skip=1)
    assert error.path == ""

"""The services facade after the split by use case (issue 14): every public use case of
every module is wrapped by the session check, the facade adds nothing of its own, and
:func:`make_services` is the one place services are built."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from service_college import STUDENT, login

from credx_tui.services import Services, SessionEnded, make_services
from credx_tui.services.accounts import Accounts
from credx_tui.services.applications import Applications
from credx_tui.services.attachments import Attachments
from credx_tui.services.context import UNCHECKED, USE_CASE, ServiceContext
from credx_tui.services.reviewing import Reviewing
from credx_tui.store import Store
from policy.rules import DEFAULT_RULES_PATH, Rules

ROOT = Path(__file__).resolve().parents[2]
USE_CASE_CLASSES = (ServiceContext, Accounts, Applications, Attachments, Reviewing)
NOT_USE_CASES = {"check_actor", "owner_actor"}
"""The only public methods left unwrapped: they make or check the actor themselves."""


def use_cases() -> list[str]:
    """The facade's public methods that are use cases (not a dataclass field's default,
    not the two that make or check an actor)."""
    fields = set(Services.__dataclass_fields__)
    return [
        name
        for name, _ in inspect.getmembers(Services, inspect.isfunction)
        if not name.startswith("_") and name not in fields and name not in NOT_USE_CASES
    ]


def dummy_call(services: Services, name: str, actor: object) -> None:
    """Call a use case with ``actor`` (if it takes one) and placeholders for the rest:
    the wrapper must refuse before the body reads any of them."""
    params = list(inspect.signature(getattr(Services, name)).parameters.values())[1:]
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for param in params:
        if param.default is not inspect.Parameter.empty:
            continue
        value = actor if param.name == "actor" else None
        if param.kind == inspect.Parameter.KEYWORD_ONLY:
            kwargs[param.name] = 0 if value is None else value
        else:
            args.append(value)
    getattr(services, name)(*args, **kwargs)


def test_the_facade_holds_every_use_case_of_every_module() -> None:
    names = use_cases()
    # The use cases of the list, each in one module.
    for expected in ("login", "add_account", "save", "submit", "attach", "queue", "approve"):
        assert expected in names
    owners: dict[str, str] = {}
    for cls in USE_CASE_CLASSES:
        for name, fn in vars(cls).items():
            if inspect.isfunction(fn) and not name.startswith("_") and name in names:
                assert name not in owners, f"{name} is defined by {owners[name]} and {cls}"
                owners[name] = cls.__name__
    assert sorted(owners) == sorted(names)
    # The facade only joins the modules: a use case added to it would bypass them.
    assert [n for n in vars(Services) if not n.startswith("_")] == []


def test_every_public_use_case_is_wrapped() -> None:
    assert set(UNCHECKED) == NOT_USE_CASES
    for name in use_cases():
        assert getattr(getattr(Services, name), USE_CASE, False), f"{name} is not checked"


def test_every_use_case_taking_an_actor_refuses_a_disabled_account(
    file_store: Store, rules: Rules
) -> None:
    services = make_services(file_store, rules)
    student = login(services, STUDENT)
    services.set_disabled(services.owner_actor("root"), STUDENT, True)
    ended: list[SessionEnded] = []
    services.on_session_ended = ended.append
    takers = [
        n for n in use_cases() if "actor" in inspect.signature(getattr(Services, n)).parameters
    ]
    assert len(takers) >= 25
    for name in takers:
        with pytest.raises(SessionEnded) as refused:
            dummy_call(services, name, student)
        assert "disabled" in refused.value.en, name
    assert len(ended) == len(takers)


class Followed(Exception):
    """Raised by the stored-rules step of the wrapper, to show that it ran."""


def test_every_use_case_follows_the_stored_rules_first(
    file_store: Store, rules: Rules, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The actor-less use cases too (login, trusted_login, actor_for): the wrapper runs
    before the body, whatever the arguments."""
    services = make_services(file_store, rules)
    student = login(services, STUDENT)

    def followed() -> None:
        raise Followed

    monkeypatch.setattr(services, "_refresh_rules", followed)
    for name in use_cases():
        with pytest.raises(Followed):
            dummy_call(services, name, student)


def test_make_services_follows_the_stored_rules_or_keeps_the_given_ones(
    file_store: Store, rules: Rules
) -> None:
    stored = make_services(file_store)
    given = make_services(file_store, rules)
    assert given.rules is rules and given.rules_version is None
    text = DEFAULT_RULES_PATH.read_text("utf-8")
    version = file_store.put_rules(text.replace("default = 1.0", "default = 2.0"), "test").version
    student = login(stored, STUDENT)
    stored.verdicts(student)
    given.verdicts(student)
    assert stored.rules_version == version and stored.rules.ratio.default == 2.0
    assert given.rules is rules  # a dry run, the trainer and a test decide with theirs


def test_make_services_tells_time_by_the_given_clock(file_store: Store, rules: Rules) -> None:
    then = datetime(2026, 5, 1, 2, tzinfo=UTC)
    services = make_services(file_store, rules, clock=lambda: then)
    student = login(services, STUDENT)
    assert services.clock() == then
    assert services.save(student, "M1", []).created_at == then


def test_services_are_built_only_by_make_services() -> None:
    """``Services(`` appears only in the factory, in the product, the tests and the
    benchmarks (the old ``Services.for_store`` is gone)."""
    factory = ROOT / "credx_tui" / "services" / "factory.py"
    built = re.compile(r"(?<![\w.])Services\(|\bfor_store\(")
    found = []
    for folder in ("credx_tui", "tests", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path in (factory, Path(__file__).resolve()):
                continue
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                if built.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
    assert len(built.findall(factory.read_text("utf-8"))) == 3  # the class and two returns

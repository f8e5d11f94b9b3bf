"""credx_tui.startup: the services built once, in a thread, and waited for (issue 13,
item 4).  The app's side is in tests/ui/test_login_before_services.py."""

from __future__ import annotations

import threading

import pytest

from credx_tui.services import ServiceError
from credx_tui.startup import ServicesBuild, StartFailed
from credx_tui.store import StoreError


def test_built_once_and_waited_for() -> None:
    calls: list[int] = []
    gate = threading.Event()
    built = object()

    def build() -> object:
        calls.append(1)
        assert gate.wait(30)
        return built

    job = ServicesBuild(build)  # type: ignore[arg-type]
    runner = threading.Thread(target=job.run)
    runner.start()
    with pytest.raises(StartFailed, match="still being opened"):
        job.wait(0.01)
    assert not job.done and job.services is None
    gate.set()
    assert job.wait(30) is built
    runner.join(30)
    job.run()  # a second run builds nothing
    assert calls == [1] and job.done and job.failure is None


@pytest.mark.parametrize(
    ("error", "zh", "en"),
    [
        (
            StoreError("/db/rules.json: damaged"),
            "无法打开数据：/db/rules.json: damaged",
            "Cannot open the store: /db/rules.json: damaged",
        ),
        (
            ServiceError("规则有误", "bad rules"),
            "无法打开数据：规则有误",
            "Cannot open the store: bad rules",
        ),
        (ValueError(""), "无法打开数据：ValueError", "Cannot open the store: ValueError"),
    ],
)
def test_a_failure_is_one_clear_line(error: Exception, zh: str, en: str) -> None:
    def build() -> object:
        raise error

    job = ServicesBuild(build)  # type: ignore[arg-type]
    job.run()
    assert job.done and job.services is None
    with pytest.raises(StartFailed) as raised:
        job.wait(0)
    assert (raised.value.zh, raised.value.en) == (zh, en)
    assert raised.value is job.failure

"""The @job registry: plain functions, recorded by name, bound to no backend."""

from __future__ import annotations

import pytest

from stockhouse.jobs import JOB_MODULES, UnknownJob, job
from stockhouse.jobs.registry import get_job, import_job_modules, registered_jobs
from stockhouse.runtime import Runtime


@job(retries=5, backoff_s=0.5)
def unnamed(rt: Runtime, item_id: int) -> int:
    return item_id * 2


def test_the_decorator_returns_the_plain_function() -> None:
    assert unnamed(None, 21) == 42  # type: ignore[arg-type]


def test_jobs_are_recorded_with_their_policy_under_a_default_name() -> None:
    spec = get_job(unnamed)
    assert spec.name == f"{__name__}.unnamed"
    assert (spec.fn, spec.retries, spec.backoff_s) == (unnamed, 5, 0.5)
    assert get_job(spec.name) is spec
    assert registered_jobs()[spec.name] is spec


def test_a_name_cannot_be_taken_by_another_function() -> None:
    def other(rt: Runtime) -> None: ...

    with pytest.raises(ValueError, match="already used"):
        job(name=f"{__name__}.unnamed")(other)


def test_job_needs_parentheses_and_sane_values() -> None:
    with pytest.raises(TypeError):
        job(unnamed)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        job(retries=-1)
    with pytest.raises(ValueError):
        job(backoff_s=-1)


def test_unknown_jobs_raise() -> None:
    with pytest.raises(UnknownJob):
        get_job("no.such.job")
    with pytest.raises(UnknownJob):
        get_job(test_unknown_jobs_raise)


def test_job_modules_include_the_builtin_diagnostic_job() -> None:
    assert "stockhouse.jobs.builtin" in JOB_MODULES
    import_job_modules()
    assert "stockhouse.record_marker" in registered_jobs()

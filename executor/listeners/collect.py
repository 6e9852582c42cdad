"""Events grouped by run and job: what the file reports (JUnit, HTML) are rendered from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from executor.events import Event, JobFinished, JobStarted, RunFinished, RunStarted, StepFinished


@dataclass
class JobData:
    job_id: str
    started: JobStarted | None = None
    steps: list[StepFinished] = field(default_factory=list)
    finished: JobFinished | None = None

    @property
    def status(self) -> str:
        return self.finished.status if self.finished else "failed"  # a job that never finished failed

    @property
    def runbook(self) -> str:
        if self.started:
            return self.started.runbook
        return self.finished.runbook if self.finished else self.job_id

    @property
    def failed_steps(self) -> list[StepFinished]:
        return [s for s in self.steps if s.status == "failed"]

    @property
    def first_failure(self) -> StepFinished | None:
        """The first failed step to finish: the deepest one (a child finishes before its `use`)."""
        failed = self.failed_steps
        return failed[0] if failed else None


@dataclass
class RunData:
    started: RunStarted | None = None
    finished: RunFinished | None = None
    jobs: dict[str, JobData] = field(default_factory=dict)

    def job(self, job_id: str) -> JobData:
        return self.jobs.setdefault(job_id, JobData(job_id))

    @property
    def status(self) -> str:
        if self.finished:
            return self.finished.status
        statuses = {j.status for j in self.jobs.values()}
        return "failed" if "failed" in statuses else ("warned" if "warned" in statuses else "passed")


ORDER = {"failed": 0, "warned": 1, "passed": 2}


def collect(events: Iterable[Event]) -> RunData:
    run = RunData()
    for e in events:
        if isinstance(e, RunStarted):
            run.started = e
        elif isinstance(e, RunFinished):
            run.finished = e
        elif isinstance(e, JobStarted):
            run.job(e.job_id).started = e
        elif isinstance(e, StepFinished):
            run.job(e.job_id).steps.append(e)
        elif isinstance(e, JobFinished):
            run.job(e.job_id).finished = e
    return run


def jobs_failures_first(run: RunData) -> list[JobData]:
    return sorted(run.jobs.values(), key=lambda j: ORDER.get(j.status, 0))

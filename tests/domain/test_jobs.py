import pytest

from sfumato.domain.jobs import TERMINAL, JobStatus, can_transition, sources_of


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_terminal_states_lead_nowhere(status: JobStatus) -> None:
    assert status.is_terminal()
    assert not any(can_transition(status, target) for target in JobStatus)


def test_a_lapsed_lease_may_return_a_job_to_the_queue() -> None:
    assert can_transition(JobStatus.PROCESSING, JobStatus.QUEUED)


def test_only_processing_jobs_can_succeed_or_fail() -> None:
    assert sources_of(JobStatus.SUCCEEDED) == {JobStatus.PROCESSING}
    assert sources_of(JobStatus.FAILED) == {JobStatus.PROCESSING}


def test_queued_and_processing_jobs_can_be_canceled() -> None:
    assert sources_of(JobStatus.CANCELED) == {JobStatus.QUEUED, JobStatus.PROCESSING}

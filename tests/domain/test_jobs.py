import pytest

from sfumato.domain.jobs import TERMINAL, TRANSITIONS, JobStatus, sources_of


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_terminal_states_lead_nowhere(status: JobStatus) -> None:
    assert status.is_terminal()
    assert TRANSITIONS[status] == set()


def test_a_lapsed_lease_may_return_a_job_to_the_queue() -> None:
    assert JobStatus.QUEUED in TRANSITIONS[JobStatus.PROCESSING]


def test_only_processing_jobs_can_succeed_or_fail() -> None:
    assert sources_of(JobStatus.SUCCEEDED) == {JobStatus.PROCESSING}
    assert sources_of(JobStatus.FAILED) == {JobStatus.PROCESSING}


def test_queued_and_processing_jobs_can_be_canceled() -> None:
    assert sources_of(JobStatus.CANCELED) == {JobStatus.QUEUED, JobStatus.PROCESSING}

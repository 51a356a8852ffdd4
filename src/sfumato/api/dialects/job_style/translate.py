"""A job as the job-style dialect reports it: its five states folded into three."""

from sfumato.api.dialects.job_style.schemas import JobStyleStatus
from sfumato.domain.jobs import JobStatus
from sfumato.http.objects import access_url
from sfumato.services.views import JobView

_STATUS = {
    JobStatus.QUEUED: "processing",
    JobStatus.PROCESSING: "processing",
    JobStatus.SUCCEEDED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELED: "failed",
}


def status_answer(view: JobView, base_url: str) -> JobStyleStatus:
    job, params = view.job, view.job.params
    urls = [access_url(image, base_url) for image in view.images]
    failed = view.status in (JobStatus.FAILED, JobStatus.CANCELED)
    return JobStyleStatus(
        job_id=job.id,
        status=_STATUS[view.status],
        image_url=urls[0] if urls else None,
        image_urls=urls,
        progress=job.progress,
        seed=params.seed,
        width=params.width,
        height=params.height,
        created_at=job.created_at,
        completed_at=job.completed_at,
        error=(job.error_message or job.error_code or view.status.value) if failed else None,
    )

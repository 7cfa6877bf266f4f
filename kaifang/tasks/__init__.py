"""Background jobs: declarations, enqueue-after-commit, the queue and its operator view."""

from kaifang.tasks.queue import JobContext, JobQueue, enqueue
from kaifang.tasks.registry import job, periodic_job

__all__ = ["JobContext", "JobQueue", "enqueue", "job", "periodic_job"]

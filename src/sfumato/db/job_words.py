"""The words a key's jobs are found by (domain.search), and the search: the jobs with every word asked for,
newest first, a page at a time.

A search reads the rows of its rarest word on the primary key (key, word, created_at, job), newest first,
and checks each job's other words on (job, word): it reads the jobs that hold that word until a page is full,
never the key's whole history, nor another key's rows. Which word is rarest is counted first, up to RAREST_CAP
rows a word (docs/dashboard.md, "What a search costs")."""

from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.orm import Session, aliased

from sfumato.db.tables import JobRow, JobWordRow
from sfumato.domain.params import JobParams
from sfumato.domain.search import words_of


def rows_of(job_id: str, key_id: str, params: JobParams, created_at: datetime) -> list[dict[str, Any]]:
    """A new job's words, as the rows written with it (db.jobs.insert_new)."""
    return [
        {"key_id": key_id, "word": word, "created_at": created_at, "job_id": job_id}
        for word in words_of(params.name, params.prompt)
    ]


def delete_of(session: Session, job_ids: Sequence[str]) -> None:
    """These jobs' words, in the caller's transaction (before the jobs: the words name them)."""
    session.execute(delete(JobWordRow).where(JobWordRow.job_id.in_(job_ids)))


RAREST_CAP = 1000  # rows of a word counted to find the rarest: beyond it, a word is common enough


def rarest(session: Session, key_id: str, terms: Sequence[str]) -> str:
    """The term fewest of the key's jobs hold (counted up to RAREST_CAP each): the one to read by."""
    if len(terms) == 1:
        return terms[0]

    def held(term: str) -> int:
        rows = (
            select(JobWordRow.job_id)
            .where(JobWordRow.key_id == key_id, JobWordRow.word == term)
            .limit(RAREST_CAP)
            .subquery()
        )
        return session.scalar(select(func.count()).select_from(rows)) or 0

    return min(terms, key=held)


def matching(key_id: str, terms: Sequence[str], first: str) -> tuple[Select[Any], Any]:
    """The key's jobs holding every term, and the order to page them in (db.pagination): the rows of `first`
    (the rarest term) by (created_at, job_id), the job's own (created_at, id) kept beside it."""
    word = aliased(JobWordRow)
    query = (
        select(JobRow).join(word, word.job_id == JobRow.id).where(word.key_id == key_id, word.word == first)
    )
    for term in terms:
        if term != first:
            other = aliased(JobWordRow)
            query = query.where(exists().where(other.job_id == JobRow.id, other.word == term))
    return query, SimpleNamespace(created_at=word.created_at, id=word.job_id)

"""The Runtime: the long-lived parts a Stockhouse process opens once from its Settings.

Adapters (HTTP app, CLI, job workers) receive a Runtime and pass its parts to services.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from stockhouse.accounts.tokens import SecretBox
from stockhouse.config import Settings
from stockhouse.db.engine import Database

if TYPE_CHECKING:
    from stockhouse.blobs.base import BlobStore
    from stockhouse.jobs.queue import JobQueue
    from stockhouse.search.query import SearchBackend


class Runtime:
    """Database, blob store, job queue and secret box of one process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        self.secrets = SecretBox(settings.secret_key)

    @cached_property
    def blobs(self) -> BlobStore:
        from stockhouse.blobs import open_blob_store

        return open_blob_store(self.settings.storage_url)

    @cached_property
    def jobs(self) -> JobQueue:
        from stockhouse.jobs.queue import JobQueue

        return JobQueue(self)

    @cached_property
    def search(self) -> SearchBackend:
        from stockhouse.search.service import open_backend

        return open_backend(self)

    def close(self) -> None:
        if "jobs" in self.__dict__:
            self.jobs.close()
        self.db.dispose()

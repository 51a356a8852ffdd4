"""LoRA adapters of a key (docs/api.md §16): uploading, listing, reading, deleting, and resolving a request's
`loras` for a job.

An upload is checked whole before anything is stored: its size, that it is a complete safetensors file (never
a pickle), and that its tensors are a LoRA of a family served here, within the largest rank taken
(domain.lora_files). Then the file goes to the store and its row to the table, the key's plan's LoRA
storage counted in the same transaction; a row that cannot be written takes its file back with it. A key
sees and uses its own adapters and the shared ones (the operator's, `sfumato loras add --shared`); another
key's are not found.
"""

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from sfumato.db.loras import LoraStore, NameTaken
from sfumato.domain.clock import Clock
from sfumato.domain.errors import (
    Conflict,
    InvalidParameter,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PlanForbidden,
)
from sfumato.domain.families import FAMILIES
from sfumato.domain.ids import new_id
from sfumato.domain.keys import ApiKey
from sfumato.domain.lora_files import judge, words_of
from sfumato.domain.loras import Adapter, Lora, LoraUse, check_uses, checked_name, resolved, storage_key
from sfumato.domain.models import ModelSpec
from sfumato.domain.pages import Page
from sfumato.domain.plans import Limits
from sfumato.engine.lora_files import read_header
from sfumato.storage import Storage

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024


class LoraService:
    def __init__(
        self,
        store: LoraStore,
        storage: Storage,
        clock: Clock,
        *,
        limits_of: Callable[[ApiKey], Limits],
        families: Sequence[str],
        max_bytes: int,
        max_rank: int,
        scratch: Path,
    ) -> None:
        self.store = store
        self.storage = storage
        self.clock = clock
        self.limits_of = limits_of
        self.families = tuple(dict.fromkeys(families))  # the families of the models served here
        self.max_bytes = max_bytes
        self.max_rank = max_rank
        self.scratch = scratch  # where an upload is checked before it is stored

    def add(
        self,
        key: ApiKey | None,
        *,
        name: str,
        source: BinaryIO,
        trigger_words: str = "",
        family: str | None = None,
    ) -> Lora:
        """Check and store an adapter: the key's own, or with no key the operator's, shared with every key."""
        checked_name(name)
        words = words_of(trigger_words) if trigger_words.strip() else None
        if family is not None and family not in FAMILIES:
            raise InvalidParameter(f"family must be one of {', '.join(FAMILIES)}", param="family")
        limit = self.limits_of(key).lora_storage_bytes if key is not None else None
        self.scratch.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.scratch, prefix=".lora-", suffix=".safetensors")
        path = Path(temporary)
        try:
            with os.fdopen(fd, "wb") as copy:
                size, digest = _copied(source, copy, self.max_bytes)
            if size == 0:
                raise InvalidParameter("file is empty", param="file")
            header = read_header(path)
            facts = judge(
                header.shapes, header.metadata, family=family, families=self.families, max_rank=self.max_rank
            )
            lora_id = new_id("lora")
            lora = Lora(
                id=lora_id,
                key_id=key.id if key is not None else None,
                name=name,
                family=facts.family,
                base_model=facts.base_model,
                rank=facts.rank,
                size=size,
                modules=facts.modules,
                trigger_words=words if words is not None else facts.trigger_words,
                layout=facts.layout,
                sha256=digest,
                storage_key=storage_key(lora_id),
                created_at=self.clock.now(),
            )
            if key is not None and limit is not None:
                self._check_room(key, size, limit)
            self.storage.put(
                lora.storage_key, path.read_bytes()
            )  # the file first; the row, or nothing, after
        finally:
            path.unlink(missing_ok=True)
        try:
            stored = self.store.insert(lora, storage_limit=limit)
        except NameTaken:
            self.storage.delete(lora.storage_key)
            raise Conflict(f"a LoRA named {name!r} exists already; delete it first", param="name") from None
        except BaseException:
            self.storage.delete(lora.storage_key)
            raise
        if not stored:  # another upload of this key took the room meanwhile
            self.storage.delete(lora.storage_key)
            assert key is not None and limit is not None
            self._check_room(key, size, limit)
        log.info(
            "LoRA %s (%s, %s, rank %d) stored for %s",
            lora.id,
            name,
            lora.family,
            lora.rank,
            key.id if key else "everyone",
        )
        return lora

    def _check_room(self, key: ApiKey, size: int, limit: int) -> None:
        used = self.store.used_bytes(key.id)
        if used + size > limit:
            plan = self.limits_of(key).plan
            raise PlanForbidden(
                f"the {plan} plan keeps {limit} bytes of LoRA files; this key holds {used} and the file is "
                f"{size}: delete one first",
                param="file",
            )

    def list_loras(self, key: ApiKey, *, limit: int, after: str | None) -> Page[Lora]:
        return self.store.page(key.id, limit=limit, after=after)

    def usable(self, key: ApiKey | None, family: str | None = None) -> list[Lora]:
        """Every adapter a key may use (of `family`, when given), by name: what a playground offers."""
        return self.store.usable(key.id if key is not None else None, family)

    def get(self, key: ApiKey, lora_id: str) -> Lora:
        lora = self.store.get(key.id, lora_id)
        if lora is None:
            raise NotFound(f"no LoRA {lora_id!r}")
        return lora

    def delete(self, key: ApiKey | None, lora_id: str) -> Lora:
        """A key's own adapter, or (an admin key, or the operator with none) a shared one. Jobs queued with it
        fail when their turn comes."""
        owner = key.id if key is not None else None
        removed = self.store.delete(owner, lora_id)
        if removed is None and (key is None or key.is_admin):
            removed = self.store.delete(None, lora_id)
        if removed is None:
            if key is not None and self.store.get(key.id, lora_id) is not None:
                raise PermissionDenied("shared LoRAs are the operator's to delete")
            raise NotFound(f"no LoRA {lora_id!r}")
        self.storage.delete(
            removed.storage_key
        )  # the row first: a crash leaves a file, never a row without one
        return removed

    def resolve(
        self, key: ApiKey, uses: Sequence[LoraUse] | None, spec: ModelSpec, limits: Limits
    ) -> tuple[Adapter, ...]:
        """A request's `loras` as its job's adapters: each the key's own or shared, of the model's family,
        at most the plan's; NotFound naming `loras` for one the key cannot see, InvalidParameter (or
        PlanForbidden, past the plan's count) otherwise."""
        if not uses:
            return ()
        check_uses(uses, limits.max_loras, limits.plan)
        found = self.store.named(
            key.id, [use.name for use in uses if use.name], [use.id for use in uses if use.id]
        )
        adapters = []
        for use in uses:
            lora = found.get(use.ref)
            if lora is None:  # as an image id of another key's (services.inputs): not found
                raise NotFound(f"no LoRA {use.ref!r}: GET /v1/loras lists this key's", param="loras")
            adapters.append(resolved(lora, use.weight, spec.family, spec.name))
        if len({adapter.id for adapter in adapters}) < len(adapters):
            raise InvalidParameter("each LoRA may appear once in loras", param="loras")
        return tuple(adapters)


def _copied(source: BinaryIO, target: BinaryIO, max_bytes: int) -> tuple[int, str]:
    """Copy at most `max_bytes`; the size and sha256. PayloadTooLarge (`file`) past it."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"file is larger than {max_bytes} bytes", param="file")
        digest.update(chunk)
        target.write(chunk)
    return size, digest.hexdigest()

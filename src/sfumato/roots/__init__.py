"""The composition roots: one per kind of process, each building only what that process runs, from the
settings, and naming it by what it is (docs/architecture.md, "Processes"). Nothing is built at import time.

    api.py       `sfumato serve` (with its embedded worker, or --no-worker): the HTTP edges' services
    worker.py    `sfumato worker`: the queue, the engine, the worker's parts
    commands.py  the command line's one-off commands (`sfumato keys`, `sfumato db`)
    parts.py     what several roots build alike
"""

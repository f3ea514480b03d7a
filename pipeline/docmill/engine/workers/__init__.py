"""Stage work in worker processes: a per-document time limit, several processes side by side.

- :mod:`.protocol` — the set-up and messages between parent and worker, state patches
- :mod:`.child` — the worker process's loop
- :mod:`.process` — :class:`StageWorker`, the parent's handle on one worker
- :mod:`.pool` — :class:`WorkerPool`, the workers of one run
"""

from docmill.engine.workers.pool import PoolClosed, PoolConfig, WorkerPool
from docmill.engine.workers.process import StageWorker, TimeBudget, WorkerStartError
from docmill.engine.workers.protocol import WorkerSetup

__all__ = [
    "PoolClosed",
    "PoolConfig",
    "StageWorker",
    "TimeBudget",
    "WorkerPool",
    "WorkerSetup",
    "WorkerStartError",
]

"""docmill.engine: the five stages over DocStates, in this process or in worker processes.

No Prefect, no CLI. :mod:`.stage` names the stages, :mod:`.state` is what travels
through them, :mod:`.stages` the stage functions, :mod:`.spans` how the records
plugins return are checked and mapped, :mod:`.calls` how a hook's
implementations are called one by one, :mod:`.failures` how a plugin failure is
reported, :mod:`.kinds` the record kinds of a run, :mod:`.languages` which
plugins skip a document for its language, :mod:`.workers` the worker
processes.
"""

from types import ModuleType

from docmill import language
from docmill.engine import calls, failures, kinds, languages, spans, stages, state
from docmill.engine.failures import FRAMEWORK, PluginError, describe
from docmill.engine.kinds import record_kinds
from docmill.engine.stage import LAST_STAGE, STAGES, Stage
from docmill.engine.stages import load_one, run_stage
from docmill.engine.state import DocState

#: The modules whose code decides a document's records (part of the cache fingerprint).
STAGE_CODE: tuple[ModuleType, ...] = (
    stages,
    spans,
    calls,
    failures,
    kinds,
    state,
    languages,
    language,
)

__all__ = [
    "FRAMEWORK",
    "LAST_STAGE",
    "STAGES",
    "STAGE_CODE",
    "DocState",
    "PluginError",
    "Stage",
    "describe",
    "load_one",
    "record_kinds",
    "run_stage",
]

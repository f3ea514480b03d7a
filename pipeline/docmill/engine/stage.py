"""The stages every document goes through, named once.

A stage is also the name of the hook whose implementations it calls, so these
names appear in rejects (``stage``), in ``[order]`` tables and in manifests.
"""

from __future__ import annotations

from typing import Literal, get_args

#: One of the document stages, in the order a document goes through them.
Stage = Literal["load", "clean", "segment", "extract", "validate"]

#: Every :data:`Stage`, in order; the sinks write a batch after the last one.
STAGES: tuple[Stage, ...] = get_args(Stage)

#: The stage after which a document's records are final.
LAST_STAGE: Stage = STAGES[-1]

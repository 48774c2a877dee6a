"""Cache keys of build steps: what a step's result depends on, never when it ran.

A key is the digest of the image the step starts from, the instruction as written, the build
arguments in effect and the step's inputs (the checksum of the files COPY and ADD read, the
image they read them from). Each step's image records its key; the next build of the same step
on the same parent finds it. Pure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from skiff.engine.builder.dockerfile import Instruction


def step_key(parent_id: str, instruction: Instruction, args: Mapping[str, str],
             inputs: str = "") -> str:
    payload = {"parent": parent_id, "instruction": instruction.original,
               "heredocs": [h.content for h in instruction.heredocs],
               "args": sorted(args.items()), "inputs": inputs}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

"""``#pragma warning`` lines, as :mod:`pbtlint.preprocessor` finds them and :mod:`pbtlint.suppress` reads
them. A module of their own: a run that reuses the previous result unpickles them with each file's
record, and importing the preprocessor (its patterns) only for that took about 4 ms of its 0.3 s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pbtlint.pickling import fast_pickling

Action = Literal["disable", "restore"]


@dataclass(frozen=True, slots=True)
class PragmaWarning:
    """``#pragma warning disable|restore [ids]`` on ``line``; ``ids`` are upper-cased, empty means all."""

    line: int
    action: Action
    ids: tuple[str, ...]


fast_pickling(globals())

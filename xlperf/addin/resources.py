"""Where the add-in's files are.

An installed xlperf (a wheel) carries them as package data, read through :mod:`importlib.resources`:
``xlperf/addin/files/macros/`` (VBA sources, ribbon) and ``xlperf/addin/files/workbook_templates/``
(the blank form template and the built ``.xlam``/``.xlsm``); ``setup.py`` copies them there from the
checkout's ``macros/`` and ``workbook_templates/`` when the wheel is built. A source checkout (an
editable install, or ``PYTHONPATH`` pointing at it) uses those folders directly; only there are they
meant to be written (``addin build`` and ``addin sync-xlwings`` without an explicit folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

MACROS = "macros"
TEMPLATES = "workbook_templates"


@dataclass(frozen=True)
class Files:
    root: Path
    #: True for a source checkout (the folders are the sources), False for installed package data.
    checkout: bool

    @property
    def macros(self) -> Path:
        return self.root / MACROS

    @property
    def templates(self) -> Path:
        return self.root / TEMPLATES


def locate() -> Files:
    """The add-in's files: the package data of an installed xlperf, else the checkout beside the package."""
    data = resources.files(__package__) / "files"
    if data.is_dir() and isinstance(data, Path):
        return Files(data, checkout=False)
    return Files(Path(__file__).resolve().parents[2], checkout=True)

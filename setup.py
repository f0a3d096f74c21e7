"""Ship the add-in's files in the wheel (configuration lives in pyproject.toml).

``macros/`` and ``workbook_templates/`` stay at the top of the checkout (that is where they are edited
and built); building the wheel copies them into the package as ``xlperf/addin/files/``, where
``xlperf.addin.resources`` finds them through ``importlib.resources``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = {
    "macros": ("*.bas", "*.cls", "*.xml"),
    "workbook_templates": ("xlperf_template.xlsx", "xlperf.xlam", "xlperf_template.xlsm"),
}


class BuildPyWithAddin(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders
        target = Path(self.build_lib) / "xlperf" / "addin" / "files"
        for folder, patterns in SHIPPED.items():
            dest = target / folder
            dest.mkdir(parents=True, exist_ok=True)
            for pattern in patterns:
                for path in sorted((ROOT / folder).glob(pattern)):
                    shutil.copyfile(path, dest / path.name)


setup(cmdclass={"build_py": BuildPyWithAddin})

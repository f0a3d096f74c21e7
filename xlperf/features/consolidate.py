"""合并部门表 from a workbook program (the Excel button, the WPS service): the picked files consolidated
into a new summary beside the first one — or in xlperf's own folder when that folder is read-only.
The inputs are only read. The command line names its output itself (``xlperf consolidate -o``)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SummaryResult:
    output: Path
    files: int  # files consolidated
    forms: int
    skipped: list[str] = field(default_factory=list)  # 「path：status，reason」 of the others

    @property
    def message(self) -> str:
        return f"已汇总 {self.files} 个文件中的 {self.forms} 张表，结果：{self.output}"


def summary_beside(paths: Sequence[str]) -> SummaryResult:
    """Consolidate ``paths`` (settings found beside the first one) into ``部门汇总-STAMP.xlsx``."""
    from ..consolidation import OK, consolidate
    from ..settings import home, load_settings

    config = load_settings(paths[0]).config
    name = f"部门汇总-{datetime.datetime.now():%Y%m%d-%H%M%S}.xlsx"
    with consolidate(list(paths), config=config) as cons:  # auto: threads here unless processes are safe
        out = Path(paths[0]).parent / name
        try:
            cons.to_excel(out)
        except OSError:  # a read-only folder (CD, protected share): write to xlperf's own folder
            (home() / "汇总").mkdir(parents=True, exist_ok=True)
            out = home() / "汇总" / name
            cons.to_excel(out)
        skipped = [f"{r.path}：{r.status}，{r.reason}" for r in cons.file_records if r.status != OK]
        forms = sum(r.forms for r in cons.file_records)
        return SummaryResult(out, len(cons.file_records) - len(skipped), forms, skipped)


__all__ = ["SummaryResult", "summary_beside"]

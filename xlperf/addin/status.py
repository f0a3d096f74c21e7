"""Is an add-in file usable: missing, not ours, built for another xlwings, or stale against the sources?

``build`` is deterministic (the same sources give the same bytes), so "stale" is exact: the file differs
from what ``macros/`` builds now.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AddinStatus:
    ok: bool
    #: One Chinese line: what is wrong and what to do, or that it is fine.
    message: str


def addin_status(addin: Path, installed_xlwings: str | None, macros_dir: Path | None = None) -> AddinStatus:
    from . import build, install

    if not addin.is_file():
        return AddinStatus(False, f"找不到加载项文件 {addin}（缺失）；请运行 xlperf addin build，或用 --addin 指定")
    recorded = install.addin_xlwings_version(addin)
    if recorded is None:
        return AddinStatus(False, f"{addin} 不是 xlperf 生成的加载项（缺少 xlwings 版本记录）；请用 xlperf addin build 重新生成")
    if installed_xlwings is not None and recorded != installed_xlwings:
        return AddinStatus(
            False,
            f"加载项基于 xlwings {recorded} 生成，而当前 Python 中的 xlwings 是 {installed_xlwings}（过期）；"
            f"请运行 pip install xlwings=={recorded}",
        )
    if macros_dir is not None and macros_dir.is_dir():
        try:
            current = build.build_xlam(build.load_macros(macros_dir))
        except build.AddinBuildError as exc:
            return AddinStatus(False, f"无法用 {macros_dir} 中的源码核对加载项：{exc}")
        if addin.read_bytes() != current:
            return AddinStatus(
                False, f"加载项 {addin} 与 {macros_dir} 中的宏源码不一致（过期）；请运行 xlperf addin build 重新生成"
            )
    return AddinStatus(True, f"加载项 {addin} 存在，与宏源码一致（xlwings {recorded}）")

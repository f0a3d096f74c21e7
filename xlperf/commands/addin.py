"""``xlperf addin build|sync-xlwings|install|uninstall``: the Excel add-in (``--wps``: the WPS 表格 add-in)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "addin",
        help="生成、安装或卸载 Excel 加载项（功能区「绩效目标」）",
        description="生成、安装或卸载 xlperf 的 Excel 加载项。",
    )
    p.set_defaults(func=lambda _args: (p.print_help(), 2)[1])
    actions = p.add_subparsers(dest="addin_command", metavar="ACTION")

    b = actions.add_parser(
        "build",
        help="从 macros/ 生成 xlperf.xlam 和 xlperf_template.xlsm",
        description="从 macros/ 中的 VBA 源码与功能区定义生成 xlperf.xlam（加载项）和 xlperf_template.xlsm（带功能区的空白表）。",
    )
    b.add_argument("-o", "--output", metavar="DIR", help="输出目录（源码目录中默认为 workbook_templates/；安装包中必须指定）")
    b.add_argument("--template", metavar="XLSX", help="空白表模板（默认：workbook_templates/xlperf_template.xlsx）")
    b.add_argument("--macros", metavar="DIR", help="宏源码目录（默认：macros/）")
    b.set_defaults(func=run_build)

    s = actions.add_parser(
        "sync-xlwings",
        help="按已安装的 xlwings 重新生成 macros/xlwings.bas 与 Dictionary.cls",
        description="按当前 Python 中安装的 xlwings 版本重新生成 macros/xlwings.bas 与 macros/Dictionary.cls。",
    )
    s.add_argument("--macros", metavar="DIR", help="宏源码目录（默认：macros/）")
    s.add_argument("--check", action="store_true", help="只检查是否需要重新生成（需要时退出码为 1）")
    s.set_defaults(func=run_sync)

    i = actions.add_parser(
        "install",
        help="把加载项安装到 Excel 启动文件夹（仅 Windows）",
        description="把 xlperf.xlam 复制到 %APPDATA%\\Microsoft\\Excel\\XLSTART，并写入 %USERPROFILE%\\.xlperf\\xlperf.conf（仅 Windows）。",
    )
    i.add_argument(
        "--addin", metavar="XLAM", help="要安装的加载项（默认：随 xlperf 提供的 xlperf.xlam）"
    )
    i.add_argument("--dry-run", action="store_true", help="只显示将要做的事，不做改动")
    _wps_arguments(i, install=True)
    i.set_defaults(func=run_install)

    u = actions.add_parser(
        "uninstall",
        help="从 Excel 启动文件夹删除加载项（仅 Windows）",
        description="删除 XLSTART 中的 xlperf.xlam，并从 xlperf.conf 中删除安装时写入的设置（仅 Windows）。",
    )
    u.add_argument("--dry-run", action="store_true", help="只显示将要做的事，不做改动")
    _wps_arguments(u, install=False)
    u.set_defaults(func=run_uninstall)


def _wps_arguments(p: argparse.ArgumentParser, *, install: bool) -> None:
    from .serve import DEFAULT_PORT

    p.add_argument("--wps", action="store_true",
                   help="WPS 表格加载项（Windows 与 Linux）：登记到 WPS 的 jsaddons/publish.xml（离线模式）"
                   + ("，并设为登录后自动启动 xlperf 服务" if install else "；只删除安装时写入的内容"))
    if install:
        p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"xlperf 服务的端口（--wps；默认 {DEFAULT_PORT}）")
        p.add_argument("--no-autostart", action="store_true", help="不设登录后自动启动 xlperf 服务（--wps）")


def run_install_wps(args: argparse.Namespace) -> int:
    from ..addin import wps_addin

    paths = wps_addin.default_paths()
    plan = wps_addin.plan_install(paths, port=args.port, autostart=not args.no_autostart)
    if args.dry_run:
        print("将会：")
        for line in plan.describe():
            print(f"  {line}")
        return 0
    for line in wps_addin.install(plan):
        print(line)
    print("请重新启动 WPS 表格，功能区中会出现「绩效目标」选项卡"
          + ("（登录后服务自动启动；现在可先运行 xlperf serve）。" if plan.autostart else "（使用前请运行 xlperf serve）。"))
    return 0


def run_uninstall_wps(args: argparse.Namespace) -> int:
    from ..addin import wps_addin

    paths = wps_addin.default_paths()
    if args.dry_run:
        print("将会：")
        for line in wps_addin.plan_uninstall(paths):
            print(f"  {line}")
        return 0
    for line in wps_addin.uninstall(paths):
        print(line)
    return 0


def _build_output(args: argparse.Namespace) -> Path:
    from ..addin import build
    from ..errors import XlperfError

    if args.output:
        return Path(args.output)
    if not build.FILES.checkout:
        raise XlperfError("xlperf 是安装包（非源码目录），加载项已随包提供；如需重新生成，请用 -o DIR 指定输出目录")
    return build.TEMPLATES_DIR


def run_build(args: argparse.Namespace) -> int:
    from ..addin import build

    result = build.build_all(
        _build_output(args),
        source_workbook=Path(args.template) if args.template else None,
        macros_dir=Path(args.macros) if args.macros else build.MACROS_DIR,
    )
    for name, path in result.outputs.items():
        print(f"已生成 {path}（{result.sizes[name]:,} 字节）")
    print(f"模板：{result.source_workbook}；用时 {result.seconds:.2f} 秒")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    from ..addin import build, xlwings_sync
    from ..errors import XlperfError

    macros = Path(args.macros) if args.macros else build.MACROS_DIR
    version = xlwings_sync.xlwings_version()
    if args.check:
        missing = xlwings_sync.missing_files(macros)
        stale = [name for name in xlwings_sync.stale_files(macros) if name not in missing]
        if missing:
            print(f"{macros} 中缺少以下文件：{'、'.join(missing)}；请运行 xlperf addin sync-xlwings 生成")
        if stale:
            print(f"以下文件与已安装的 xlwings {version} 不一致（过期），需要重新生成：{'、'.join(stale)}")
        if missing or stale:
            return 1
        print(f"{macros} 中的 xlwings 代码与已安装的 xlwings {version} 一致")
        return 0
    if not args.macros and not build.FILES.checkout:
        raise XlperfError("xlperf 是安装包（非源码目录），不能改写包内的宏源码；请用 --macros DIR 指定源码目录")
    changed = xlwings_sync.sync(macros)
    for path in changed:
        print(f"已更新 {path}")
    if not changed:
        print(f"无需更新：已与 xlwings {version} 一致")
    else:
        print("请运行 xlperf addin build 重新生成加载项")
    return 0


_NOT_WINDOWS = "加载项只能安装到 Windows 版 Excel；当前系统不是 Windows，未做任何改动"


def _interpreter() -> str:
    from ..addin.install import pythonw_for

    return pythonw_for(sys.executable)


def _default_addin() -> Path:
    """The built add-in shipped with xlperf (package data), or the checkout's."""
    from ..addin import build

    return build.TEMPLATES_DIR / build.XLAM_NAME


def _installed_xlwings() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        return None


def _check_addin(addin: Path, explicit: bool) -> None:
    """Refuse a missing, foreign or stale add-in with one line telling which and what to do."""
    from ..addin import build, install
    from ..addin.status import addin_status

    status = addin_status(addin, _installed_xlwings(), None if explicit else build.MACROS_DIR)
    if not status.ok:
        raise install.InstallError(status.message)


def run_install(args: argparse.Namespace) -> int:
    import os

    from ..addin import install
    from ..errors import XlperfError

    if args.wps:
        return run_install_wps(args)

    addin = Path(args.addin) if args.addin else _default_addin()
    if sys.platform != "win32":
        simulated = bool(os.environ.get("APPDATA") and os.environ.get("USERPROFILE"))
        if args.dry_run and simulated:
            paths = install.default_paths()
            target, conf = paths.addin, paths.conf_file
        else:
            target, conf = install.windows_placeholder_paths()
        plan = install.Plan(
            addin, target, conf, {"INTERPRETER_WIN": "<该 Python 环境的 pythonw.exe>", "USE UDF SERVER": "True"}
        )
        if args.dry_run:
            _check_addin(addin, bool(args.addin))
        print("演练（未做任何改动）。在 Windows 上，此命令会：" if args.dry_run else "在 Windows 上，此命令会：")
        for line in plan.describe():
            print(f"  {line}")
        if args.dry_run:
            return 0
        raise XlperfError(_NOT_WINDOWS)
    paths = install.default_paths()
    plan = install.plan_install(addin, paths, _interpreter())
    _check_addin(addin, bool(args.addin))
    if args.dry_run:
        print("演练（未做任何改动），将会：")
        for line in plan.describe():
            print(f"  {line}")
        return 0
    for line in install.install(plan, encoding=install.ansi_encoding()):
        print(line)
    print("请重新启动 Excel，功能区中会出现「绩效目标」选项卡。")
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    import os

    from ..addin import install
    from ..errors import XlperfError

    if args.wps:
        return run_uninstall_wps(args)

    windows = sys.platform == "win32"
    if not windows or args.dry_run:
        if windows or (os.environ.get("APPDATA") and os.environ.get("USERPROFILE")):
            paths = install.default_paths()
            target, conf = paths.addin, paths.conf_file
        else:
            target, conf = install.windows_placeholder_paths()
        head = "在 Windows 上，此命令会：" if not windows else "将会："
        print(f"演练（未做任何改动）。{head}" if args.dry_run else head)
        print(f"  删除加载项：{target}")
        print(f"  从 {conf} 删除 {'、'.join(install.CONF_KEYS)} 两项设置（其他设置保留）")
        if args.dry_run:
            return 0
        raise XlperfError(_NOT_WINDOWS)
    for line in install.uninstall(install.default_paths(), encoding=install.ansi_encoding()):
        print(line)
    return 0

"""``xlperf indicators detect|list|show|insert``: the standard indicator library."""

from __future__ import annotations

import argparse
import json

from . import add_format


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("indicators", help="标准指标库：识别任务类型、查看、插入标准指标",
                       description="按任务类型提供标准指标集（产出/效益/成本/满意度），识别任务类型并插入到表中")
    isub = p.add_subparsers(dest="indicators_command", metavar="SUBCOMMAND")

    def lib_arg(q: argparse.ArgumentParser) -> None:
        q.add_argument("--library", action="append", metavar="DIR",
                       help="自定义指标库目录（*.toml；同名类型覆盖内置类型；可重复）")

    d = isub.add_parser("detect", help="识别每项任务的类型", description="根据任务名称和实施内容识别任务类型")
    d.add_argument("file")
    d.add_argument("--sheet", help="工作表名称")
    add_format(d)
    lib_arg(d)
    d.set_defaults(func=run_detect)

    ls = isub.add_parser("list", help="列出指标库中的类型")
    lib_arg(ls)
    ls.set_defaults(func=run_list)

    sh = isub.add_parser("show", help="显示某一类型的标准指标")
    sh.add_argument("type", help="类型名称（或别名）")
    lib_arg(sh)
    sh.set_defaults(func=run_show)

    ins = isub.add_parser("insert", help="为某项任务插入标准指标",
                          description="在任务最后一个指标行之后插入该类型的标准指标（已有同名指标跳过），"
                                      "重新合并任务单元格，待填写的值标黄并加批注")
    ins.add_argument("file")
    ins.add_argument("--task", required=True, help="任务序号")
    ins.add_argument("--type", help="任务类型（默认：自动识别）")
    ins.add_argument("--replace", action="store_true", help="用标准指标替换该任务现有的指标")
    out = ins.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", help="输出文件（默认：原名.xlperf.xlsx）")
    out.add_argument("--in-place", action="store_true", help="直接改写原文件（先自动备份）")
    ins.add_argument("--sheet", help="工作表名称")
    ins.add_argument("--dry-run", action="store_true", help="只显示将要做的改动，不写文件")
    add_format(ins)
    lib_arg(ins)
    ins.set_defaults(func=run_insert)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _library(args: argparse.Namespace):
    from ..core.indicators import load_library

    return load_library(args.library)


def run_detect(args: argparse.Namespace) -> int:
    from ..editing import detect_task_types

    guesses = detect_task_types(args.file, _library(args), sheet=args.sheet)
    if args.format == "json":
        print(json.dumps([g.to_json_dict() for g in guesses], ensure_ascii=False, indent=2))
    else:
        for g in guesses:
            head = f"{g.seq}." if g.seq is not None else "全表"  # a form without tasks: its own table
            if g.type is None:
                print(f"  {head} {g.task or ''} → 未识别")
                continue
            why = (f"名称未匹配关键词（或只有内容里的弱线索），置信度低，使用兜底类型「{g.type}」" if g.fallback
                   else "关键词：" + "、".join(g.matched))
            alt = ("；其次：" + "、".join(f"{t}" for t, _ in g.alternatives[:2])) if g.alternatives else ""
            print(f"  {head} {g.task or ''} → {g.type}（置信度 {g.confidence:.2f}；{why}{alt}）")
    unknown = [g for g in guesses if g.type is None or g.fallback]
    if unknown and not args.format == "json":
        print(f"{len(unknown)} 项任务未能可靠识别，插入时请用 --type 指定")
    return 1 if unknown else 0


def run_list(args: argparse.Namespace) -> int:
    lib = _library(args)
    print(f"指标库共 {len(lib)} 个类型：")
    for s in lib:
        origin = "内置" if s.origin.startswith("内置") else s.origin
        extra = "（兜底类型）" if s.fallback else ""
        alias = f"  别名：{'、'.join(s.aliases)}" if s.aliases else ""
        print(f"  {s.name}{extra}  [{s.slug}]  {len(s.indicators)} 个指标，{s.placeholder_count} 个待填写  来源：{origin}{alias}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    lib = _library(args)
    s = lib.require(args.type)
    print(f"{s.name}  [{s.slug}]  {s.description}")
    if s.aliases:
        print(f"别名：{'、'.join(s.aliases)}")
    if s.keywords:
        print("识别关键词：" + "、".join(f"{k.label}（{k.weight:g}）" for k in s.keywords))
    print(f"{'一级指标':<8}{'二级指标':<14}{'指标名称':<18}核心  指标值")
    for i in s.indicators:
        mark = "  ← 待填写" if i.needs_value else ("  ← 取任务拟投入金额" if i.placeholder else "")
        print(f"{i.level1:<8}{i.level2:<14}{i.name:<18}{'是' if i.core else '否'}   {i.value_text()}{mark}")
        if i.note:
            print(f"{'':<40}说明：{i.note}")
    return 0


def run_insert(args: argparse.Namespace) -> int:
    from ..editing import insert_indicators

    res = insert_indicators(args.file, args.task, type=args.type, replace=args.replace, out=args.output,
                            in_place=args.in_place, library=_library(args), sheet=args.sheet, dry_run=args.dry_run)
    plan = res.plan
    if args.format == "json":
        print(json.dumps({
            "path": str(args.file), "task": res.task_seq, "task_name": res.task_name, "type": res.type,
            "detected": res.guess is not None, "dry_run": args.dry_run,
            "rows": [{"row": r.row + 1, "level1": r.spec.level1, "level2": r.spec.level2, "name": r.spec.name,
                      "value": r.display, "needs_value": r.needs_value} for r in plan.rows],
            "skipped": [x.name for x in plan.skipped],
            "needs_value": [r.cell for r in res.needs_value],
            "output": str(res.output) if res.written and res.output is not None else None,
            "backup": str(res.backup) if res.backup else None,
        }, ensure_ascii=False, indent=2))
        return 0
    dry = args.dry_run
    will = "将" if dry else ""  # a dry run says what it would do
    how = f"自动识别，置信度 {res.guess.confidence:.2f}" if res.guess else "指定"
    if dry:
        print("试运行（--dry-run）：只列出将要做的改动，不写任何文件")
    print(f"任务{res.task_seq}「{res.task_name or ''}」：类型 {res.type}（{how}）")
    if plan.inserted:
        print(f"{will}在第 {plan.inserted_at + 1} 行前插入 {plan.inserted} 行"
              + (f"，并使用预留空行 {plan.reused} 行" if plan.reused else ""))
    elif plan.reused:
        print(f"{will}使用任务的预留空行 {plan.reused} 行")
    print(f"任务范围：第 {plan.span[0] + 1}–{plan.span[1] + 1} 行")
    verb = "写入" if args.replace else "新增"
    print(f"{will}{verb}指标 {len(plan.rows)} 个：")
    for r in plan.rows:
        mark = "  ← 待填写" if r.needs_value else ""
        print(f"  第 {r.row + 1} 行  {r.spec.level1}/{r.spec.level2}/{r.spec.name}  {r.display}{mark}")
    same = [s.name for s in plan.skipped if s.name not in plan.similar]
    if same:
        print(f"已有同名指标，{will}跳过：" + "、".join(same))
    if plan.similar:
        print(f"已有意思相同的指标，{will}跳过：" + "、".join(f"{k}（已有「{v}」）" for k, v in plan.similar.items()))
    if plan.cleared:
        print(f"{'将清空' if dry else '清空了'}多余的原指标行：" + "、".join(f"第 {r + 1} 行" for r in plan.cleared))
    if res.needs_value:
        cells = "、".join(r.cell for r in res.needs_value)
        print(f"待填写 {len(res.needs_value)} 处（{'将标黄并加批注' if dry else '已标黄并加批注'}）：{cells}")
    if res.written and res.output is not None:
        print(f"已写入 {res.output}" + (f"（原文件已备份为 {res.backup}）" if res.backup else ""))
    elif dry and plan.edits:
        print("试运行结束：未写文件；去掉 --dry-run 即按以上内容写入")
    elif not plan.edits:
        print("没有需要插入的指标")
    return 0

"""Regenerate workbook_templates/xlperf_template.xlsx (the blank form) reproducibly.

Run: python scripts/build_templates.py
openpyxl stamps the current time into docProps/core.xml; this script pins it so the file only
changes when the layout does.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xlperf.io.cached import save_with_values  # noqa: E402
from xlperf.io.template import build_workbook  # noqa: E402

FIXED = dt.datetime(2026, 1, 1, 0, 0, 0)


def normalize_zip(path: Path) -> None:
    """Rewrite the zip with fixed timestamps and a fixed modification date, in sorted-as-written order."""
    with zipfile.ZipFile(path) as zf:
        items = [(i.filename, zf.read(i)) for i in zf.infolist()]
    stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in items:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zf.writestr(info, data)


def main() -> None:
    wb = build_workbook(None)
    wb.properties.created = FIXED
    wb.properties.creator = "xlperf"
    wb.properties.lastModifiedBy = "xlperf"
    out = ROOT / "workbook_templates" / "xlperf_template.xlsx"
    out.parent.mkdir(exist_ok=True)
    save_with_values(wb, out)
    normalize_zip(out)
    print(out)


if __name__ == "__main__":
    main()

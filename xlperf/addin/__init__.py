"""Build, install and uninstall the xlperf Excel add-in (``xlperf addin ...``).

``cfb`` writes MS-CFB compound files, ``ovba`` the MS-OVBA VBA project inside them, ``package`` the
OPC zip parts, ``build`` puts it together from the text sources in ``macros/``; ``xlwings_sync``
regenerates ``macros/xlwings.bas`` from the installed xlwings and ``install`` copies the add-in into
Excel's XLSTART folder. Nothing here is imported by ``xlperf --help``.
"""

"""The pure core: no openpyxl, no xlwings, no file access. Works on :class:`~xlperf.core.grid.Grid`."""

"""The features, each written once against :class:`xlperf.workbook.Workbook`: validate / mark / fix /
unmark (:mod:`.validate`), auto-sum (:mod:`.autosum`), standard indicators (:mod:`.indicators`), new
forms (:mod:`.new`); consolidation is :mod:`xlperf.consolidation`. The command line, the Excel buttons
and the Python API only turn arguments or a selection into a call and the result into words."""

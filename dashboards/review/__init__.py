"""The CEO's weekly review, as one JSON document of sections.

A review is about one week: the seven days before its Monday (flows: created, won, lost, the
waterfall) and the state at that Monday (the open pipeline, the forecast run). Its document is
built from stored results only (no page runs the forecast): `document.build_document` calls the
section builders of `pipeline_sections` and `forecast_sections`. The live review of this week is
built on demand (and cached per run and inputs version); freezing a week stores the document
in its `WeeklySnapshot`, so a past week's review shows exactly what was seen that week.
"""

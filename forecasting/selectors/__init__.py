"""Reads of the forecasting app, beyond a `get`: one module per kind of read.

    inputs.py   the engine's input frames, in SQL or `values_list` straight into DataFrames
    results.py  the results of a run for the API and the pages, and the run status they show
    review.py   the weekly review's reads (dashboards/review/forecast_sections), fixed queries
    home.py     the role home pages: pipeline health, a rep's call record, capacity gaps, hiring

Import from the module itself (`from forecasting.selectors.review import review_demand_weeks`);
this package re-exports nothing.
"""

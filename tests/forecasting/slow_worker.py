"""A Celery worker whose forecast engine takes SLOW_ENGINE_SECONDS longer: lets a test kill
the worker in the middle of a run. Started as `python -m tests.forecasting.slow_worker ...`."""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopdesk.settings.test")
django.setup()

from forecasting import services  # noqa: E402

_real_compute = services.compute_forecast


def _slow_compute(inputs):  # type: ignore[no-untyped-def]
    time.sleep(float(os.environ.get("SLOW_ENGINE_SECONDS", "30")))
    return _real_compute(inputs)


services.compute_forecast = _slow_compute

if __name__ == "__main__":
    from celery.__main__ import main

    sys.argv = ["celery", *sys.argv[1:]]
    main()

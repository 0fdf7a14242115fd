"""The demo company: an organic juice brand that sells online and through retailers.

- `catalogue`: the fixed cast (people and their habits, juices, customers, stages, sources);
- `demand`: the calendar and the weekly demand (growth, season, the shift to online);
- `text`: NPS comments, lost reasons, deal titles;
- `records`: the plain records (no database);
- `generator`: `generate_demo(today=...)` builds the whole history as those records;
- `writer`: `write_demo(...)` bulk-inserts them (and `delete_pipeline_data` for --reset).

The management command `seed_demo` ties generator and writer together.
"""

from .catalogue import DEMO_USERNAMES
from .generator import generate_demo
from .records import DemoData

__all__ = ["DEMO_USERNAMES", "DemoData", "generate_demo"]

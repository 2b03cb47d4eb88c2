"""The synthetic world: the CRM generator (`demo.generator`), the demo company (`demo.company`) and the demo's steps
(`demo.registry`, one module per capability). It imports the domain apps; no domain app imports it (import-linter's
floors, see docs/architecture.md). `manage.py demo` and `manage.py generate_crm` (the `home` app) and the benchmarks
use it from here.
"""

from __future__ import annotations


def register_demo_steps() -> None:
    """Add every capability's step to `manage.py demo` (called once, from the shell's HomeConfig.ready())."""
    from demo import company, crm, development, insights, training

    for capability in (company, crm, insights, training, development):
        capability.register_demo_steps()

"""The shape the code promises (issue 19), read from the code itself: what a new module could break
without any behaviour test noticing."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "marketplace"


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def _imported(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, node.lineno
            for alias in node.names:
                yield f"{node.module}.{alias.name}", node.lineno


def test_only_the_stripe_provider_imports_stripe():
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}" for path, tree in _modules()
             for name, line in _imported(tree) if name.split(".")[0] == "stripe"
             and path.relative_to(PACKAGE).as_posix() != "payments/stripe_provider.py"]
    assert found == []


def test_create_app_registers_every_job_owner_and_provider(app):
    from marketplace.core import jobs

    registry = jobs.registry(app)
    assert {"catalog.photo_variants", "egov.render_certificate", "jobs.sweep", "notifications.deliver",
            "opendata.aggregate", "orders.expire_unpaid"} <= set(registry.jobs)
    assert {"jobs.sweep": 60, "orders.expire_unpaid": 300, "opendata.aggregate": 3600}.items() <= registry.schedule.items()
    assert len(registry.sweepers) == 3  # photos, certificates, outbox
    assert set(app.extensions["payment_owners"]) == {"checkout", "egov_fee"}
    assert set(app.extensions["payment_providers"]) == {"card"}


def test_a_schedule_naming_a_job_nobody_registered_stops_the_start():
    import pytest

    from marketplace import create_app

    with pytest.raises(RuntimeError, match="orders.expire_unpaidd"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "JOB_SCHEDULE_SECONDS": {"orders.expire_unpaidd": 10}})

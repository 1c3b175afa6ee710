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
            "opendata.aggregate", "orders.expire_unpaid", "ussd.call_back", "ussd.fetch_voice_message"} <= set(registry.jobs)
    assert {"jobs.sweep": 60, "orders.expire_unpaid": 300, "opendata.aggregate": 3600}.items() <= registry.schedule.items()
    assert len(registry.sweepers) == 5  # photos, certificates, outbox, payouts to phones, voice messages
    assert set(app.extensions["payment_owners"]) == {"checkout", "checkout_mobile", "egov_fee", "egov_fee_mobile"}
    assert set(app.extensions["payment_providers"]) == {"card", "mobile_money"}


def test_a_schedule_naming_a_job_nobody_registered_stops_the_start():
    import pytest

    from marketplace import create_app

    with pytest.raises(RuntimeError, match="orders.expire_unpaidd"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "JOB_SCHEDULE_SECONDS": {"orders.expire_unpaidd": 10}})


def _status_writes(tree: ast.AST, function: str = "<module>"):
    """Every `x.status = …` and every `update(…).values(status=…)`, with the function it is in."""
    for node in ast.iter_child_nodes(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        if any(isinstance(t, ast.Attribute) and t.attr == "status" for t in targets):
            yield node.lineno, function
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values" \
                and any(k.arg == "status" for k in node.keywords):
            yield node.lineno, function
        inner = node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
        yield from _status_writes(node, inner)


def test_only_a_transition_writes_a_status():
    """A status column is written only by its domain's `transition()` (or `transition_version`),
    which checks the machine's table and writes the history row. Creating a thing in its first
    state is the table's (None, state) row, set in the constructor."""
    found = [f"{path.relative_to(PACKAGE.parent)}:{line} in {function}()" for path, tree in _modules()
             for line, function in _status_writes(tree) if not function.startswith("transition")]
    assert found == []


def test_the_check_sees_a_status_written_elsewhere():
    tree = ast.parse("def mark(order):\n    order.status = 'paid'\n\ndef transition(order):\n    order.status = 'paid'\n"
                     "def sneak(q):\n    q.values(status='x')\n")
    assert [function for _, function in _status_writes(tree)] == ["mark", "transition", "sneak"]


def test_every_machine_knows_each_of_its_states():
    """No state without a way in: each machine's table reaches every value of its enum."""
    from marketplace.catalog.states import LISTING_MOVES
    from marketplace.egov.states import SUBMISSION_MOVES, VERSION_MOVES
    from marketplace.notifications.states import OUTBOX_MOVES
    from marketplace.orders.states import ORDER_MOVES, TRIP_MOVES
    from marketplace.payments.states import PAYMENT_MOVES, PAYOUT_MOVES
    from marketplace.ussd.states import CALL_BACK_MOVES, VOICE_MESSAGE_MOVES
    from marketplace.voice.states import REPORT_MOVES

    for machine in (LISTING_MOVES, SUBMISSION_MOVES, VERSION_MOVES, OUTBOX_MOVES, ORDER_MOVES, TRIP_MOVES, PAYMENT_MOVES, PAYOUT_MOVES,
                    REPORT_MOVES, CALL_BACK_MOVES, VOICE_MESSAGE_MOVES):
        states = {move.new for move in machine.moves.values()}
        kind = type(next(iter(states)))
        assert states == set(kind), f"{machine.name}: {set(kind) - states} cannot be reached"
        assert any(move.old is None for move in machine.moves.values()), f"{machine.name} has no first state"


DOMAINS = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists() and p.name not in ("core", "i18n"))


def test_a_domain_reaches_another_only_through_its_public_face():
    """`marketplace.<other>.api`, never its models, services or other modules. The composition root
    (marketplace/__init__.py, cli.py) wires every domain and may import any of them."""
    found = []
    for path, tree in _modules():
        parts = path.relative_to(PACKAGE).parts
        if len(parts) < 2:
            continue
        for name, line in _imported(tree):
            module = name.split(".")
            if module[0] != "marketplace" or len(module) < 3 or module[1] not in DOMAINS or module[1] == parts[0]:
                continue
            if module[2] != "api":
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    assert found == []


def test_open_data_names_no_other_domains_status_in_its_sql():
    """The index's SQL takes statuses from the owning domains (their figures sources), so a renamed
    status changes the query with it instead of silently emptying the price index."""
    from marketplace.catalog.models import ListingStatus
    from marketplace.egov.models import SubmissionStatus
    from marketplace.orders.models import OrderStatus

    quoted = {f"'{status.value}'" for kind in (ListingStatus, OrderStatus, SubmissionStatus) for status in kind}
    found = [f"{path.name}:{node.lineno} {literal}" for path, tree in _modules() if path.parent.name == "opendata"
             for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
             for literal in quoted if literal in node.value]
    assert found == []


def test_the_phone_engine_knows_no_domain_but_the_pin():
    """ussd/engine.py walks screens; what a screen shows and does is in ussd/screens.py, over the
    domains' faces (issue 19: the menus had re-implemented payout, stock and listing rules)."""
    tree = ast.parse((PACKAGE / "ussd" / "engine.py").read_text())
    domains = {name.split(".")[1] for name, _ in _imported(tree) if name.startswith("marketplace.")
               and name.split(".")[1] in DOMAINS and name.split(".")[1] != "ussd"}
    assert domains == {"accounts"}  # check_pin, PinLocked and User only
    screens = ast.parse((PACKAGE / "ussd" / "screens.py").read_text())
    assert not [n for n in ast.walk(screens) if isinstance(n, ast.Attribute) and n.attr in ("scalars", "scalar", "execute")]

"""Names vulture cannot see used: called by a framework, not by our code (`make lint`)."""
# Flask-Login reads these on the user model and the anonymous user.
get_id  # noqa
# WTForms asks a form's Meta for its translations.
get_translations  # noqa
Meta  # noqa
# prometheus_client calls a collector's describe() and collect().
describe  # noqa
collect  # noqa
# core.states' subscribers: the events API the coming providers and the voice channel subscribe to;
# tests/core/test_states.py holds its contract.
subscribe  # noqa
# The benchmarks' data loader (tests/benchmarks/catalog_data.py) rebuilds the search index in bulk.
rebuild_index  # noqa

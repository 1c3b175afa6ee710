from tests.egov.conftest import egov  # noqa: F401  (the shipped services, used by the applications on the timeline)

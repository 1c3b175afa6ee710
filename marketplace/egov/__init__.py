"""Government e-services: services and their form versions, applications, review, fees, certificates."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app: what this domain adds to the app (blueprint, jobs, owners, providers)."""
    from marketplace.core import jobs
    from marketplace.egov import certificates, fees
    from marketplace.egov.views import bp
    from marketplace.egov.views.openrosa import bp as openrosa
    from marketplace.payments import api as payments

    app.register_blueprint(bp)
    app.register_blueprint(openrosa)
    payments.register_owner(app, fees.PURPOSE, fees.FeePayments())
    payments.register_owner(app, fees.MOBILE_PURPOSE, fees.FeePayments())
    payments.register_paybill(app, fees.expected_under)  # an application's reference, paid from a basic phone
    jobs.register(app, certificates.RENDER_JOB, certificates.render_job, sweeper=certificates.sweep)

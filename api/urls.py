"""The JSON API at /api/v1/ (mounted in promoted/urls.py). See docs/api.md.

Adding your app's endpoints: write a ninja Router in `<app>/api.py` whose operations call your selectors and
services, then register it below with ONE line:

    api.add_router("/<resource>", "<module>.router")

Every router inherits token-or-session authentication, the error body and the 404-outside-scope rule.
"""

from api.auth import DEFAULT_AUTH
from api.base import LocalSwagger, PromotedAPI
from api.errors import install_error_handlers

api = PromotedAPI(
    title="Promoted API",
    version="1.0.0",
    description=(
        "Read what you may see in Promoted. Authenticate with your browser session (unsafe methods need the "
        "X-CSRFToken header) or a personal API token: `Authorization: Bearer pmt_…` (create one at "
        "/accounts/tokens/). Errors answer `{\"error\": {\"code\", \"message\", \"details\"}}`; anything "
        "outside your scope answers 404 like something that does not exist."
    ),
    urls_namespace="api-1.0.0",
    auth=DEFAULT_AUTH,
    docs=LocalSwagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
install_error_handlers(api)

# Routers: one line each. Add yours at the end (see docs/api.md, "Adding your app's endpoints").
api.add_router("", "people.api.me_router")
api.add_router("/org-units", "people.api.org_router")
api.add_router("/people", "people.api.router")
api.add_router("/tokens", "api.routers.tokens.router")
api.add_router("/training", "training.api.router")
api.add_router("/development", "development.api.router")
api.add_router("/insights", "insights.api.router")

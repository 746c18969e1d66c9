"""The JSON API root: /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from ninja import NinjaAPI

from linli.cases.api import router as cases_router
from linli.core.api import SessionAuth, TokenAuth, install_error_handlers
from linli.dashboard.api import router as dashboard_router
from linli.people.api import router as people_router
from linli.regions.api import router as regions_router
from linli.visits.api import router as visits_router
from linli.volunteers.api import router as volunteers_router

api = NinjaAPI(
    title="Linli 邻里 API",
    version="1.0.0",
    description="社区网格化服务管理 — scoped exactly like the web UI; bearer tokens for integrations.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/regions/", regions_router)
api.add_router("/people/", people_router)
api.add_router("/cases/", cases_router)
api.add_router("/visits/", visits_router)
api.add_router("/volunteers/", volunteers_router)
api.add_router("/dashboard/", dashboard_router)

"""Playbooks and inventories: /api/v1/{tenant_id}/playbooks, /inventories and /api/... ."""

from mangum import Mangum

from sculptops.aws import snapstart
from sculptops.bootstrap import container
from sculptops.http.app import create_app
from sculptops.http.routers import catalog

app = create_app(catalog.routers, title="SculptOps catalog")
handler = Mangum(app, lifespan="off")
snapstart.enable(container)  # after a restore: new AWS clients, reseeded random

"""Who am I (/api/v1/me), health, the OpenAPI document and Swagger UI."""

from mangum import Mangum

from sculptops.http import docs
from sculptops.http.app import create_app
from sculptops.http.routers import identity

app = create_app([*docs.routers, *identity.routers], title="SculptOps identity")
handler = Mangum(app, lifespan="off")

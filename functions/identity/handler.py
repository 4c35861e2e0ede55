"""Who am I (/api/v1/me), health, the OpenAPI document, Swagger UI and the console's files."""

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from sculptops.aws import snapstart
from sculptops.bootstrap import container
from sculptops.http import console, docs
from sculptops.http.app import create_app
from sculptops.http.routers import identity

app = create_app([*docs.routers, *console.routers, *identity.routers], title="SculptOps identity")
# The console's svg files are text too: API Gateway gets them as such, not base64.
handler = Mangum(app, lifespan="off", text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, "image/svg+xml"])
snapstart.enable(container)  # after a restore: new AWS clients, reseeded random

"""Personal API tokens: POST/GET/DELETE /api/v1/{tenant_id}/tokens/ and /api/tokens."""

from mangum import Mangum

from sculptops.aws import snapstart
from sculptops.bootstrap import container
from sculptops.http.app import create_app
from sculptops.http.routers import tokens

app = create_app(tokens.routers, title="SculptOps tokens")
handler = Mangum(app, lifespan="off")
snapstart.enable(container)  # after a restore: new AWS clients, reseeded random

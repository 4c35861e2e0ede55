"""Executions: trigger, list, get, cancel, logs (poll and SSE short poll)."""

from mangum import Mangum

from sculptops.aws import snapstart
from sculptops.bootstrap import container
from sculptops.http.app import create_app
from sculptops.http.routers import executions

app = create_app(executions.routers, title="SculptOps executions")
handler = Mangum(app, lifespan="off")
snapstart.enable(container)  # after a restore: new AWS clients, reseeded random

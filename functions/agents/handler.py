"""Agents: register, list, remove; the agent protocol (claim, heartbeat, logs, finish)."""

from mangum import Mangum

from sculptops.aws import snapstart
from sculptops.bootstrap import container
from sculptops.http.app import create_app
from sculptops.http.routers import agents

app = create_app(agents.routers, title="SculptOps agents")
handler = Mangum(app, lifespan="off")
snapstart.enable(container)  # after a restore: new AWS clients, reseeded random

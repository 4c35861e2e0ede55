"""Tenant governance: members, token policy, admins' token list, audit log, notifications."""

from mangum import Mangum

from sculptops.aws import snapstart
from sculptops.bootstrap import container
from sculptops.http.app import create_app
from sculptops.http.routers import admin_tokens, audit, members, notifications, token_policy

app = create_app(
    [
        *members.routers,
        *token_policy.routers,
        *admin_tokens.routers,
        *audit.routers,
        *notifications.routers,
    ],
    title="SculptOps governance",
)
handler = Mangum(app, lifespan="off")
snapstart.enable(container)  # after a restore: new AWS clients, reseeded random

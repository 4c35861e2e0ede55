"""Public revocation of leaked tokens: POST /api/v1/credentials/revoke (no authorizer).

It answers 202 without reading the table: the revocation runs in the `leaks` function,
invoked asynchronously (functions/leaks/handler.py). Every answer waits for the same floor.
"""

from mangum import Mangum

from sculptops.aws import snapstart
from sculptops.bootstrap import container
from sculptops.http.app import create_app
from sculptops.http.routers import credentials

app = create_app(credentials.routers, title="SculptOps credentials")
# Outermost: the floor holds every answer, the input guard's 413 and 422 included.
app.add_middleware(credentials.AnswerFloor, seconds=credentials.ANSWER_AFTER)
handler = Mangum(app, lifespan="off")
snapstart.enable(container)  # after a restore: new AWS clients, reseeded random

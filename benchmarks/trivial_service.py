"""The load benchmark's baseline: a BentoML service whose one endpoint returns a constant.

Same BentoML version, worker count and timeout as ``serving/service.py``, no model, no
middleware, ``async`` like the service's lookups (a sync endpoint would pay BentoML's
thread-pool hop and make the baseline look slower than it is) and a typed response model
like theirs: what BentoML itself costs per request on this machine.
"""

import bentoml
from pydantic import BaseModel


class Pong(BaseModel):
    ok: bool = True


@bentoml.service(name="trivial", traffic={"timeout": 30}, workers=1)
class Trivial:
    @bentoml.api
    async def ping(self) -> Pong:
        return Pong()

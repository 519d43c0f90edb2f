"""stub"""

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

FLOORS: dict[str, object] = {"Catalogue": None}


async def readyz(request):
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/readyz", readyz)])

"""identidock as Chalice Lambda handlers: routes only; the work is in chalicelib/."""

from chalice.app import Chalice, Request, Response

from chalicelib import routes, views
from chalicelib.middleware import handle_http
from chalicelib.startup import cold_start

app = Chalice(app_name="identidock-fn")
# `*/*` makes AWS API Gateway decode our base64 PNG whatever the first Accept value (browsers'
# <img> requests start with image/avif or image/webp); `image/*` and `text/*` cover gateways
# such as LocalStack that skip a `*/*` entry. Text bodies are never base64 (see responses.py).
app.api.binary_types = ["*/*", "image/*", "text/*"]
app.register_middleware(handle_http, "http")

cold_start()


# Any Content-Type reaches the view, which answers a non-form POST body with a friendly 400 page.
@app.route(routes.PAGE, methods=routes.PAGE_METHODS, content_types=["*/*"])
def index() -> Response:
    return views.page(current_request())


@app.route(routes.MONSTER, methods=routes.MONSTER_METHODS)
def monster(name: str) -> Response:
    return views.monster(current_request(), name)


@app.route(routes.FAVICON, methods=routes.FAVICON_METHODS)
def favicon() -> Response:
    return views.favicon(current_request())


def current_request() -> Request:
    request = app.current_request
    assert request is not None  # Chalice sets it before calling a view
    return request

"""identidock as Chalice Lambda handlers: routes only; the work is in chalicelib/."""

import gc

# A cold start's imports make no garbage worth collecting, yet they trigger about 70 collections
# that walk every module object loaded so far: 6-10 ms of a ~100 ms cold start here, more when
# the start-up check loads boto3 for a secret. So no collection until the app is ready; then
# `freeze` moves what start-up made out of the collector's sight, and later collections (during
# requests) walk only what requests make (docs/benchmarks.md).
gc.disable()
try:
    # The runtime libraries load first, as in the hello-world app `bench function` compares
    # against: loading redis-py from deep inside chalicelib (after Chalice and our first
    # modules) measured 2.5-4 ms slower, in paired runs of the whole cold start.
    import http.client  # noqa: F401

    import redis  # noqa: F401
    from chalice.app import Chalice, Request, Response

    from chalicelib import routes, views
    from chalicelib.middleware import handle_http
    from chalicelib.startup import cold_start

    app = Chalice(app_name="identidock-fn")
    # `*/*` makes AWS API Gateway decode our base64 PNG whatever the first Accept value
    # (browsers' <img> requests start with image/avif or image/webp); `image/*` and `text/*`
    # cover gateways such as LocalStack that skip a `*/*` entry. Text bodies are never base64
    # (see responses.py).
    app.api.binary_types = ["*/*", "image/*", "text/*"]
    app.register_middleware(handle_http, "http")
    cold_start()
finally:
    gc.freeze()
    gc.enable()


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

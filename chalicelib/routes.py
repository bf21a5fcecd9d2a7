"""The routes' paths and methods, defined once (app.py and the middleware both use them)."""

PAGE = "/"
MONSTER = "/monster/{name}"
FAVICON = "/favicon.ico"
PAGE_METHODS = ["GET", "HEAD", "POST"]
MONSTER_METHODS = ["GET", "HEAD"]
FAVICON_METHODS = ["GET", "HEAD"]
#: Routes that answer images (binary through API Gateway: the middleware's Accept rule).
IMAGE_ROUTES = frozenset({MONSTER, FAVICON})

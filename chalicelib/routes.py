"""The routes' paths and methods, defined once (app.py and the middleware both use them)."""

PAGE = "/"
MONSTER = "/monster/{name}"
PAGE_METHODS = ["GET", "HEAD", "POST"]
MONSTER_METHODS = ["GET", "HEAD"]

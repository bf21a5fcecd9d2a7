"""Everything the identidock Lambda runs; `app.py` holds only the routes."""

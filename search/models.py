"""No Django models: the index lives in the database (see index.py and migrations/)."""

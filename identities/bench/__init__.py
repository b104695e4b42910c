"""`manage.py bench`: an archive-sized data set built with set-based SQL, and the endpoints timed
against it through gunicorn beside hand-written SQL for the same answers.

`data` builds the data set, `server` runs gunicorn and makes the HTTP requests, `endpoints` holds
the hot endpoints with their hand SQL, `measure` times them, and `report` writes the tables.
"""

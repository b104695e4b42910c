"""`manage.py bench`: an archive-sized data set built with set-based SQL, and the endpoints timed
against it through gunicorn beside hand-written SQL for the same answers; `manage.py
bench_suggestions`: the same data set with a centroid for every identity, and suggestions timed.

`command` holds what both commands do before measuring, `data` builds the data set, `server` runs
gunicorn and makes the HTTP requests, `endpoints` holds the hot endpoints with their hand SQL,
`measure` times them, `run` is one bench run, and `report` writes the tables; `centroids` gives
every identity a centroid and `suggestions` times and reports the suggestions.
"""

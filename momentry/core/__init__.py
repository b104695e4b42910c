"""The bottom layer: what every app needs and no app owns (errors, parsing, paging, locking)."""

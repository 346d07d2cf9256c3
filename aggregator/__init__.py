"""The collecting side of Tagstory: network payloads become items in SQLite.

Nothing here imports Flask or Socket.IO. Whoever builds a `Database` hands it a
`publish` callable; every committed event reaches that callable after its commit.
"""

"""Switchboard's database recorder: request records into the database, in batches, with a
disk spool so that a database outage costs no record (see :mod:`.recorder`).

The package imports nothing itself: its SQLite writer process (:mod:`.sqlite_writer_child`)
loads only the modules it runs, not the recorder's SQLAlchemy side.
"""

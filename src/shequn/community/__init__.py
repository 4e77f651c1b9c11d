"""The community application: accounts, spaces, conversation, ideas, pre-sales, meetups
and rewards, kept in a transactional store (SQLite by default, PostgreSQL at scale).

Every state change also appends an event of the event contract to the outbox in the
same transaction; the relay moves those events into the lake through the ingest.
"""

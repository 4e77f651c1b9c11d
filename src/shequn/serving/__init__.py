"""The serving store: each build's indexed lookups by member id and identity key,
published with its snapshot and read through one connection per request."""

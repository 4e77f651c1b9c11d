"""shequn: the community-economy platform (SCRM, community, service, analytics)."""

__version__ = "0.1.0"

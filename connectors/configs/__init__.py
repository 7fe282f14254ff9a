"""Each connector's own config keys, one module per source type.

They import pydantic, the stdlib and light ``connectors`` helpers only, never a connector's
libraries (httpx, feedparser, PRAW, openpyxl): loading the config validates every source
without paying for them, so `listener status` starts fast. ``connectors.registry.CONFIGS`` finds
them by type; each connector's ``Config`` is the class defined here.
"""

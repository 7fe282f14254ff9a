"""Push sources: signed webhook deliveries stored as items (see receiver.py), no HTTP server
of their own unless asked (server.py)."""

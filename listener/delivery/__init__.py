"""Sending things once: claims in the database, and the sinks that carry messages out.

The digest and the alerts share one claims table (``deliveries``): a message to a sink is sent
by whichever process claims it first, a crash before hand-over is retried (an e-mail keeps its
Message-ID), and a crash *during* hand-over is marked uncertain instead of being sent again.
"""

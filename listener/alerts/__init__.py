"""Trend alerts: the week's drift findings (listener.drift) read from the store, turned into
alert rows with a stable key and sent once to the configured sinks (listener.delivery)."""

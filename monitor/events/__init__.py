"""Event-driven cycles: a message per prediction batch (published by the execution-log
writer, pushed by Pub/Sub to `serve`'s `POST /events/batch`), which runs a cycle at once
instead of waiting for the hourly one.

Light on purpose: monitor.provenance (the worker's import) reaches into this package,
so nothing here imports google-cloud-pubsub or google-auth at module level."""

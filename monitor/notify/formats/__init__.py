"""Pure formatters: a MessageBody (monitor/notify/body.py) → one channel's output.
Each escapes the text from the data for its output, and only there."""

"""prediction-monitor: quality monitoring and alerting for the points-prop prediction system."""

__version__ = "0.1.0"

"""The package version, kept equal to the npm packages' (@llmr/cli) version."""

__version__ = "0.1.0"

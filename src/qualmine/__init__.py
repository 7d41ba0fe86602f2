"""qualmine: qualitative interview coding and text mining from the command line."""

__version__ = "0.1.0"

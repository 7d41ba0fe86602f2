"""The project folder: settings, coder identity, importing, coding files."""

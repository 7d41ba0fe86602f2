"""Pure analysis functions: frequencies, crosstabs, co-occurrence, agreement, significance."""

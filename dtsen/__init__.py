"""Cross-cutting pieces of the DTSEN pipeline: settings and the masking of personal data."""

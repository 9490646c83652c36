"""The nightly collections engine: plain Python and NumPy over columnar arrays. No Django here."""

"""walletsign: craft and verify wallet sign requests from a terminal."""

__version__ = "0.1.0"

"""gridpos: cash collection of electricity bills through networked POS terminals."""

__version__ = "0.1.0"

"""ITSM: self-hosted IT service management aligned with ITIL 4."""

__version__ = "0.1.0"

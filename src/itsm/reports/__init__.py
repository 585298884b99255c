"""Report pages, exports and the ``itsm report`` command (a face over itsm.reporting)."""

"""The agent console: one page of plain JavaScript modules at ``/console/``."""

"""Who is calling: admin and server tokens, console sessions, staff, and site write keys.

Every feature's views depend on this package's dependencies; none depends on its inside.
"""

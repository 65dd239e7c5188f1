"""Accounts of people (admins and agents) who log in to a workspace's console."""

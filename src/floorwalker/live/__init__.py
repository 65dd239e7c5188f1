"""What is happening now: the live visitor index and the agents' alerts."""

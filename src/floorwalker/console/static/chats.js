// Filled in by its owner: see docs/console.md.

"""Adapters between files and the core: readers into a Grid, writers applying edit lists."""

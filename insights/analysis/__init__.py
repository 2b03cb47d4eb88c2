"""The bottom-up engine's analysis: plain functions over the store's tables and numpy arrays, no Django."""

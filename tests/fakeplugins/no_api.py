"""States no camrig_api."""

"""Compatible APIs of other stock services (Cliparto API Query, ...)."""

"""Contributors: what they earn and how their media sells."""

"""An independent pandas implementation of the metrics, to cross-check the engine."""

"""Models and pipelines: text in, PIL images out. Knows nothing of jobs, keys or databases."""

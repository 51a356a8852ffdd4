"""What the service does, independent of HTTP: keys, generation, images, the worker."""

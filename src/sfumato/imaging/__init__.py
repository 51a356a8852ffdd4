"""Image files: encoding what the engine made into PNG, JPEG or WebP, and transforming stored files.

Neither the model engine's nor storage's: the worker, the image service and the API's content routes use it.
"""

"""Pure types and rules of the service; imports nothing else of Sfumato."""

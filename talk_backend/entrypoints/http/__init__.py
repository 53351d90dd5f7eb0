"""The FastAPI application: routers translate HTTP to use cases and back."""

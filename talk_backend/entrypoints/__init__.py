"""Ways into the application: the HTTP API and the command line."""

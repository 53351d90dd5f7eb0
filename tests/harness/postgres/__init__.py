"""Where the tests' PostgreSQL comes from, and the databases cut from it."""

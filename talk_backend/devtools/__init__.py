"""Development tools that ship with the package because `talk-backend serve
--dev-bluesky` runs them: the fake atproto services and a loopback server runner.
Tests use the same code, so what a developer signs in to is what the tests cover."""

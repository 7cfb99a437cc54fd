"""Social sign-in (OAuth 2.0 / OpenID Connect) tests and the loopback identity providers they run against."""

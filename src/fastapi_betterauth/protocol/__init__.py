"""Better Auth's HTTP semantics, framework-free: endpoints as data, cookies, origin checks."""

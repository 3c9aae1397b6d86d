"""Django's PostgreSQL backend, lending pooled connections only after a cheap check."""

"""The terminal's own use cases: enrolment, request authentication, sign-in/out, heartbeat."""

"""The wire contract shared by the server, the terminal and the reference MIS client."""

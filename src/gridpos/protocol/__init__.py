"""The wire contract shared by the server, the terminal and the reference MIS client.

Terminal API: :mod:`.errors` (stable error codes, the error body), :mod:`.fields` (money in fen,
dates, identifiers, wire enums), :mod:`.messages` (base classes), :mod:`.codec` (compact JSON in
and out, refusals named by field), :mod:`.signing` (HMAC-SHA256 request signing, terminal keys,
receipt verification codes) and :mod:`.terminal` (the messages and routes, one module per area).
The MIS interface: :mod:`.mis` and :mod:`.bank_file`.
"""

"""The POS program's screens: enrolment and sign-in, the menu, paying, the receipt, reprint,
statistics, 扎帐 and the payments still waiting for the server."""
